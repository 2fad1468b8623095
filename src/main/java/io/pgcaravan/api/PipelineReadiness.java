package io.pgcaravan.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the pipeline is: the Camel context and every route that should run are started (the
 * run store's datasource has its own readiness check).
 */
@Readiness
@ApplicationScoped
public class PipelineReadiness implements HealthCheck {

    @Inject
    CamelContext camel;
    @Inject
    io.pgcaravan.run.AgentRole role;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("pipeline");
        if (!camel.getStatus().isStarted()) {
            return b.down().withData("camel", camel.getStatus().name()).build();
        }
        int started = 0;
        for (Route r : camel.getRoutes()) {
            boolean shouldRun = role.runsRoute(r.getRouteId(), r.isAutoStartup());
            String status = camel.getRouteController().getRouteStatus(r.getRouteId()).name();
            if (shouldRun && !"Started".equals(status)) {
                return b.down().withData("route", r.getRouteId()).withData("status", status).build();
            }
            started += "Started".equals(status) ? 1 : 0;
        }
        return b.up().withData("routes", started).build();
    }
}

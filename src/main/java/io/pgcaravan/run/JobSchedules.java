package io.pgcaravan.run;

import io.pgcaravan.config.StartupOrder;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.jboss.logging.Logger;

import java.util.Map;

/** Makes one schedule route (from the job-schedule template in routes/schedules.yaml) per job with a cron expression. */
@ApplicationScoped
public class JobSchedules {

    private static final Logger LOG = Logger.getLogger(JobSchedules.class);

    @Inject
    CaravanConfig config;
    @Inject
    CamelContext camel;

    void onStart(@Observes @Priority(StartupOrder.SCHEDULES) StartupEvent event) {
        if (config.oneShot().job().isPresent()) {
            return; // a one-shot process runs its one job and nothing else
        }
        for (Map.Entry<String, JobConfig> e : config.jobs().entrySet()) {
            e.getValue().schedule().cron().ifPresent(cron -> {
                String zone = e.getValue().schedule().timeZone().orElse(config.schedule().timeZone());
                TemplatedRouteBuilder.builder(camel, "job-schedule")
                        .routeId("schedule-" + e.getKey())
                        .parameter("job", e.getKey())
                        // Quartz URIs take the expression's spaces as '+'
                        .parameter("cron", cron.trim().replaceAll("\\s+", "+"))
                        .parameter("timeZone", zone)
                        .add();
                LOG.infof("job %s runs on schedule '%s' (%s)", e.getKey(), cron, zone);
            });
        }
    }
}

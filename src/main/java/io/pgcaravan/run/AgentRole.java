package io.pgcaravan.run;

import io.pgcaravan.config.StartupOrder;
import io.pgcaravan.config.CaravanConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.jboss.logging.Logger;

/**
 * Starts the routes that depend on this process's role (caravan.role), the one place that does:
 * they are all {@code autoStartup: false} in routes/. The drop directory is watched where the
 * import half runs (unless caravan.import.enabled is false); an export agent does not watch one
 * of its own but follows the import agent through the one on the intermediate host; an import
 * half sweeps old deliveries when a retention is set.
 */
@ApplicationScoped
public class AgentRole {

    private static final Logger LOG = Logger.getLogger(AgentRole.class);
    /** The routes whose running depends on the role. */
    static final java.util.List<String> ROLE_ROUTES = java.util.List.of("import-trigger", "back-channel", "retention",
            "fleet-claims", "fleet-leases");

    @Inject
    CaravanConfig config;
    @Inject
    CamelContext camel;

    /** Whether this process runs the route: a role route only if its role does, any other if Camel starts it. */
    public boolean runsRoute(String routeId, boolean autoStartup) {
        return ROLE_ROUTES.contains(routeId) ? runs(routeId) : autoStartup;
    }

    private boolean runs(String routeId) {
        CaravanConfig.Role role = config.role();
        return switch (routeId) {
            case "import-trigger" -> role != CaravanConfig.Role.EXPORT && config.importHalf().enabled();
            case "back-channel" -> role == CaravanConfig.Role.EXPORT;
            case "retention" -> role != CaravanConfig.Role.EXPORT && config.importHalf().retention().isPresent();
            case "fleet-claims", "fleet-leases" -> config.fleet().enabled();
            default -> false;
        };
    }

    void onStart(@Observes @Priority(StartupOrder.AGENT_ROLE) StartupEvent event) throws Exception {
        for (String route : ROLE_ROUTES) {
            if (runs(route)) {
                camel.getRouteController().startRoute(route);
            }
        }
        LOG.infof("pg-caravan runs as %s", switch (config.role()) {
            case ALL -> "one process with both halves (all-in-one)";
            case EXPORT -> "the export agent: source and SFTP only, the import followed through the drop directory";
            case IMPORT -> "the import agent: drop directory and destination only";
        });
    }
}

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
 * Starts the routes of this process's role (caravan.role): an export agent does not watch a drop
 * directory of its own but follows the import agent through the one on the intermediate host; an
 * import agent sweeps old deliveries when a retention is set.
 */
@ApplicationScoped
public class AgentRole {

    private static final Logger LOG = Logger.getLogger(AgentRole.class);

    @Inject
    CaravanConfig config;
    @Inject
    CamelContext camel;

    /** Routes this role does not run (the readiness check does not wait for them). */
    private final java.util.Set<String> notRun = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public boolean runsRoute(String routeId) {
        return !notRun.contains(routeId);
    }

    void onStart(@Observes @Priority(StartupOrder.AGENT_ROLE) StartupEvent event) throws Exception {
        CaravanConfig.Role role = config.role();
        if (role == CaravanConfig.Role.EXPORT) {
            notRun.add("import-trigger");
            camel.getRouteController().stopRoute("import-trigger");
            camel.getRouteController().startRoute("back-channel");
        }
        if (role != CaravanConfig.Role.EXPORT && config.importHalf().retention().isPresent()) {
            camel.getRouteController().startRoute("retention");
        }
        LOG.infof("pg-caravan runs as %s", switch (role) {
            case ALL -> "one process with both halves (all-in-one)";
            case EXPORT -> "the export agent: source and SFTP only, the import followed through the drop directory";
            case IMPORT -> "the import agent: drop directory and destination only";
        });
    }
}

package io.pgcaravan.run;

import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.track.RunLog;

import io.pgcaravan.config.StartupOrder;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Picks up the runs that were active when the application stopped (or was killed): each goes on
 * at its first unfinished stage. Runs whose export half is done wait for the import half, which
 * finds their delivery's DONE marker again in the drop directory.
 */
@ApplicationScoped
public class RunRecovery {

    private static final Logger LOG = Logger.getLogger(RunRecovery.class);

    @Inject
    RunStore store;
    @Inject
    RunLog runLog;
    @Inject
    RunCommands commands;

    @Inject
    io.pgcaravan.config.CaravanConfig config;

    void onStart(@Observes @Priority(StartupOrder.RECOVERY) StartupEvent event) {
        if (config.fleet().enabled()) {
            return; // in a fleet a run goes on where its lease ran out, on whichever replica claims it (FleetClaims)
        }
        for (RunRecord run : store.activeRuns()) {
            if (config.oneShot().job().filter(j -> !j.equals(run.job())).isPresent()) {
                continue; // a one-shot process only touches its own job
            }
            runLog.info(LOG, run.id(), String.format("was %s when the application stopped; it goes on at its first unfinished stage", run.status()));
            commands.queue(run.id());
        }
    }
}

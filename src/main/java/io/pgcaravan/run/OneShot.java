package io.pgcaravan.run;

import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;

import io.pgcaravan.config.StartupOrder;
import io.pgcaravan.config.CaravanConfig;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;

/**
 * One-shot mode ({@code caravan.one-shot.job=<job>}, or CARAVAN_ONE_SHOT_JOB in a container): runs
 * the job once (each of its databases), prints the verdicts and exits 0 when every run SUCCEEDED, 1 otherwise — what a
 * container scheduler's cron job needs. A run the previous process left active is followed instead.
 */
@ApplicationScoped
public class OneShot {

    private static final Logger LOG = Logger.getLogger(OneShot.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunCommands commands;
    @Inject
    RunStore store;

    void onStart(@Observes @Priority(StartupOrder.ONE_SHOT) StartupEvent event) {
        Optional<String> job = config.oneShot().job();
        if (job.isEmpty()) {
            return;
        }
        Thread t = new Thread(() -> follow(job.get()), "one-shot");
        t.setDaemon(true);
        t.start();
    }

    private void follow(String job) {
        int exit = 1;
        try {
            // the runs the previous process left active, and one of each database that has none
            List<String> ids = new java.util.ArrayList<>(store.active(job).stream().map(RunRecord::id).toList());
            try {
                commands.start(job, null, "one-shot", null).runs().forEach(r -> ids.add(r.id()));
            } catch (RunCommands.JobBusyException allActive) {
                // every database has its run among the active ones already
            }
            boolean allSucceeded = true;
            for (String id : ids) {
                RunRecord run = store.find(id).orElseThrow();
                while (run.status().isActive()) {
                    Thread.sleep(1000);
                    run = store.find(id).orElseThrow();
                }
                allSucceeded &= run.status() == RunStatus.SUCCEEDED;
                System.out.println("pg-caravan run " + id + " of job " + job + (run.database() == null ? "" : " (" + run.database() + ")")
                        + ": " + run.status() + (run.error() == null ? "" : " - " + run.error()));
            }
            exit = allSucceeded ? 0 : 1;
        } catch (Exception e) {
            LOG.errorf("one-shot run of job %s could not be carried out: %s", job, e.getMessage());
        }
        Quarkus.asyncExit(exit);
    }
}

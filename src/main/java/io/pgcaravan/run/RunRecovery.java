package io.pgcaravan.run;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.camel.ProducerTemplate;
import org.jboss.logging.Logger;

import java.util.List;

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
    ProducerTemplate producer;

    void onStart(@Observes StartupEvent event) {
        for (RunRecord run : store.activeRuns()) {
            List<StageRecord> stages = store.stages(run.id());
            boolean exportDone = stages.stream()
                    .filter(s -> Stages.EXPORT.contains(s.stage()))
                    .allMatch(s -> s.status() == StageStatus.DONE);
            if (exportDone) {
                LOG.infof("run %s: export half done before the restart; waiting for its import", run.id());
            } else {
                LOG.infof("run %s was %s when the application stopped; resuming it", run.id(), run.status());
                producer.sendBodyAndHeader("seda:export", null, RunHeaders.RUN_ID, run.id());
            }
        }
    }
}

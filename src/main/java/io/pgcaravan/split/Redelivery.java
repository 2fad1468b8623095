package io.pgcaravan.split;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;
import io.pgcaravan.run.RetryPolicy;
import io.pgcaravan.stage.Report;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunContexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.file.Files;

/**
 * A DONE marker appeared again for a run this import half knows and that has ended: its export
 * agent resumed it after its checksums failed here and sent the damaged files again. Such a run
 * is checked again from its checksum stage. Any other ended run is not imported again (whoever can
 * write to the drop directory cannot restart runs): its verdict is written back as result.json, so
 * that the export agent that resumed it learns what it is instead of waiting for ever.
 */
@ApplicationScoped
public class Redelivery {

    private static final Logger LOG = Logger.getLogger(Redelivery.class);
    /** How long a marker waits for the run's last stage to stop (a cancel, a retry delay) before its verdict is given. */
    private static final long STOPPING_WAIT_MS = 30_000;

    @Inject
    RunStore store;
    @Inject
    ActiveRuns activeRuns;
    @Inject
    RetryPolicy retries;
    @Inject
    RunLog runLog;
    @Inject
    Report report;
    @Inject
    RunContexts contexts;

    /** Whether the run goes to the import half again. */
    public boolean accept(String runId) throws InterruptedException {
        long until = System.currentTimeMillis() + STOPPING_WAIT_MS;
        while (activeRuns.working(runId, Half.IMPORT) && System.currentTimeMillis() < until) {
            Thread.sleep(200);
        }
        if (requeued(runId)) {
            runLog.info(LOG, runId, "delivered again after its checksums failed: checking it again");
            return true;
        }
        try {
            RunRecord run = store.find(runId).orElseThrow();
            if (!run.status().isActive()) {
                report.republish(runId);
                if (run.status() == RunStatus.SUCCEEDED) {
                    // what the resend brought back has no business here once restored
                    Files.deleteIfExists(contexts.of(runId).deliveryDir().resolve(DeliveryFiles.ROLES));
                }
                runLog.info(LOG, runId, "delivered again, not imported again: its verdict " + run.status() + " is written back");
            }
        } catch (Exception e) {
            LOG.warnf("run %s: its verdict cannot be written back: %s", runId, e.getMessage());
        }
        return false;
    }

    /** A FAILED run (not a cancelled one) whose checksum stage failed, nothing of it still going: queued from that stage. */
    private synchronized boolean requeued(String runId) {
        RunRecord run = store.find(runId).orElse(null);
        boolean checksumFailed = store.stages(runId).stream()
                .anyMatch(s -> s.stage().equals("checksum") && s.status() == StageStatus.FAILED);
        if (run == null || run.status() != RunStatus.FAILED || !checksumFailed || !store.active(run.job(), run.database()).isEmpty()
                || activeRuns.working(runId, Half.IMPORT)) {
            return false;
        }
        store.stageReset(runId, "checksum");
        if (!store.requeue(runId)) {
            return false;
        }
        retries.forget(runId);
        return true;
    }
}

package io.pgcaravan.run;

import java.util.List;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;

import io.pgcaravan.retry.FailureText;
import io.pgcaravan.store.RunChanged;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageRecord;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.track.CaravanMetrics;
import io.pgcaravan.track.Progress;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunCancelledException;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.retry.FailureClass;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.jboss.logging.Logger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.time.Duration;

/**
 * The run's hooks in its routes: a half enters and leaves a run (one exchange at a time per half),
 * the run is marked RUNNING, SUCCEEDED or FAILED (with its stage, class of failure, retry time
 * and cause), and a succeeded run's staging copy goes. The one place that ends a run's status from
 * a route; the commands (RunCommands) are the one place that starts and restarts runs.
 */
@ApplicationScoped
@Named("runHooks")
public class RunHooks {

    private static final Logger LOG = Logger.getLogger(RunHooks.class);

    @Inject
    CaravanConfig config;
    @Inject
    CaravanMetrics metrics;
    @Inject
    RunLog runLog;
    @Inject
    RunStore store;
    @Inject
    RetryPolicy retries;
    @Inject
    Progress progress;
    @Inject
    RunContexts contexts;
    @Inject
    ActiveRuns activeRuns;
    @Inject
    io.pgcaravan.stage.io.FailedStaging failedStaging;
    @Inject
    Event<RunChanged> changed;
    @Inject
    FleetClaims claims;

    /**
     * Each half of a run is worked on by one exchange at a time: a run resumed (or recovered) while
     * an earlier exchange still holds it is left to that one.
     */
    public boolean enterExport(@Header(RunHeaders.RUN_ID) String runId) {
        return activeRuns.enter(runId, Half.EXPORT);
    }

    /**
     * The export half leaves the run (done, failed or cancelled): what it still holds (the early
     * sender, the snapshot, the write freeze, its passfile) is closed, then the run is let go.
     */
    public void leaveExport(@Header(RunHeaders.RUN_ID) String runId) {
        activeRuns.leave(runId, Half.EXPORT);
    }

    public boolean enterImport(@Header(RunHeaders.RUN_ID) String runId) {
        return activeRuns.enter(runId, Half.IMPORT);
    }

    /** The import half leaves the run: its passfile goes, then the run is let go. */
    public void leaveImport(@Header(RunHeaders.RUN_ID) String runId) {
        activeRuns.leave(runId, Half.IMPORT);
    }

    /** The export half takes the run; a run cancelled while it was queued goes no further. */
    public void markRunning(@Header(RunHeaders.RUN_ID) String runId) {
        if (!store.runStarted(runId)) {
            throw new RunCancelledException(runId);
        }
    }

    /** Every stage of the run is done, and it is still active (its end was not recorded). */
    public boolean doneButActive(@Header(RunHeaders.RUN_ID) String runId) {
        return store.find(runId).map(r -> r.status().isActive()).orElse(false)
                && store.stages(runId).stream().allMatch(s -> s.status() == StageStatus.DONE);
    }

    /** The run succeeded (in this process's import half). */
    public void markSucceeded(@Header(RunHeaders.RUN_ID) String runId, @Header(RunHeaders.CLAIM) Integer epoch) throws IOException {
        if (store.runFinished(runId, RunStatus.SUCCEEDED, null, claims.fence(epoch))) {
            metrics.runEnded(store.find(runId).orElseThrow().job(), RunStatus.SUCCEEDED);
        } else if (!claims.mayRecord(runId, epoch)) {
            // lost since its report was recorded: the replica that has it now ends it
            throw new io.pgcaravan.work.RunMovedException(runId);
        }
        changed.fire(new RunChanged(runId));
        runLog.info(LOG, runId, "SUCCEEDED");
        removeStaging(runId);
        // the roles' password hashes have no business on the intermediate host once they are on the destination
        Files.deleteIfExists(contexts.of(runId).deliveryDir().resolve(DeliveryFiles.ROLES));
        Files.deleteIfExists(contexts.of(runId).verifiedDir().resolve(DeliveryFiles.ROLES));
        io.pgcaravan.stage.pipeline.PipelineJournal.of(contexts.of(runId).workDir()).dropPieces();
    }

    /** A succeeded run's local staging copy goes: the verified delivery is the copy that counts now. */
    public void removeStaging(String runId) throws IOException {
        Path staging = contexts.of(runId).stagingDir();
        if (Files.exists(staging)) {
            try (Stream<Path> walk = Files.walk(staging)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * Marks the stage that was running, and the run, FAILED (or CANCELLED, if that is why it
     * stopped) with what went wrong: the stage, the class of failure, how long it was retried and
     * the cause (for a tool, the tail of its stderr). Called by the error handler once a stage's
     * retry window is spent.
     */
    public void markFailed(Exchange exchange) {
        String runId = exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String stage = store.stages(runId).stream().filter(s -> s.status() == StageStatus.RUNNING)
                .map(StageRecord::stage).findFirst().orElse(null);
        FailureClass cls = exchange.getProperty(RetryPolicy.FAILURE_CLASS, FailureClass.class);
        Duration retriedFor = exchange.getProperty(RetryPolicy.RETRIED_FOR, Duration.class);
        StringBuilder message = new StringBuilder();
        if (cls != null && cls != FailureClass.FINAL) {
            message.append(cls.name().toLowerCase()).append(" failure, retried for ")
                    .append(RetryDuration.format(retriedFor == null ? Duration.ZERO : retriedFor)).append(": ");
        }
        message.append(FailureText.describe(cause));
        // (fenced: a replica that lost the run since the route's look at its claim records nothing)
        RunStore.Fence fence = claims.fence(exchange.getMessage().getHeader(RunHeaders.CLAIM, Integer.class));
        if (stage != null) {
            store.stageFinished(runId, stage, StageStatus.FAILED, message.toString(), fence);
        }
        String error = (stage == null ? "" : stage + ": ") + message;
        if (store.runFinished(runId, RunStatus.FAILED, error, fence)) {
            metrics.runEnded(store.find(runId).orElseThrow().job(), RunStatus.FAILED);
            runLog.error(LOG, runId, String.format("FAILED in %s", error));
        } else {
            runLog.info(LOG, runId, String.format("stopped: %s", error));
        }
        releaseMemberships(runId);
        capStaging(runId);
        changed.fire(new RunChanged(runId));
    }

    /** A run that ended failed keeps its staging copy; the oldest others go if together they hold too much. */
    private void capStaging(String runId) {
        try {
            failedStaging.cap(contexts.stagingRoot(contexts.of(runId).job()));
        } catch (Exception e) {
            LOG.warnf("cannot apply caravan.staging.max-held: %s", e.getMessage());
        }
    }

    /**
     * A run that ended without its verification still gives back the memberships its import half
     * granted the destination's login (a resume grants them again); best effort, since the
     * destination may be the reason it failed, and said in the run's log either way.
     */
    private void releaseMemberships(String runId) {
        try {
            java.nio.file.Path work = contexts.of(runId).workDir();
            if (!java.nio.file.Files.exists(work.resolve(io.pgcaravan.stage.ownership.Memberships.GRANTED))) {
                return;
            }
            io.pgcaravan.config.JobConfig.DatabaseEndpoint dst = contexts.of(runId).job().destination();
            try (java.sql.Connection c = io.pgcaravan.pg.PgConnections.open(dst, dst.maintenanceDatabase())) {
                List<String> released = io.pgcaravan.stage.ownership.Memberships.release(c, work);
                runLog.info(LOG, runId, "the memberships the run gave the destination's login are revoked again: " + String.join(", ", released));
            }
        } catch (Exception e) {
            runLog.warn(LOG, runId, "could not revoke the memberships the run gave the destination's login (" + e.getMessage()
                    + "); they are listed in its work directory's " + io.pgcaravan.stage.ownership.Memberships.GRANTED);
        }
    }

}

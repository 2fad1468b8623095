package io.pgcaravan.run;

import io.pgcaravan.store.RunChanged;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.store.Stages;
import io.pgcaravan.track.CaravanMetrics;
import io.pgcaravan.track.Progress;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunCancelledException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

/**
 * Records each stage's progress. A stage is a route whose id is the stage's name; the route asks
 * {@link #begin} whether to run (a stage this run already finished is skipped when the run is
 * resumed) and calls {@link #done} at its end. Failures are recorded by {@link RunHooks#markFailed}.
 */
@ApplicationScoped
@Named("stages")
public class StageTracker {

    private static final Logger LOG = Logger.getLogger(StageTracker.class);

    @Inject
    RunStore store;
    @Inject
    CaravanMetrics metrics;
    @Inject
    RunLog runLog;
    @Inject
    RetryPolicy retries;
    @Inject
    Event<RunChanged> changed;
    @Inject
    Progress progress;
    @Inject
    FleetClaims claims;

    public boolean begin(Exchange exchange) {
        String runId = runId(exchange);
        String stage = stage(exchange);
        if (store.find(runId).map(r -> r.status() == RunStatus.CANCELLED).orElse(false)) {
            throw new RunCancelledException(runId);
        }
        if (!claims.mayRecord(runId, claim(exchange))) {
            throw new io.pgcaravan.work.RunMovedException(runId);
        }
        boolean finished = store.stages(runId).stream()
                .anyMatch(s -> s.stage().equals(stage) && s.status() == StageStatus.DONE);
        if (finished) {
            runLog.info(LOG, runId, String.format("%s already done, skipped", stage));
            return false;
        }
        if (!store.stageStarted(runId, stage, claims.fence(claim(exchange)))) {
            // (the look above and this write are not one: the lease ran out in between)
            throw new io.pgcaravan.work.RunMovedException(runId);
        }
        // a stage inside another (the manifest inside the dump) keeps the outer one's detail aside
        Object outer = exchange.removeProperty(DETAIL);
        if (outer != null) {
            exchange.setProperty(OUTER_DETAIL, outer);
        }
        runLog.info(LOG, runId, String.format("%s started", stage));
        changed.fire(new RunChanged(runId));
        return true;
    }

    public void done(Exchange exchange) {
        String runId = runId(exchange);
        String stage = stage(exchange);
        if (!store.stageFinished(runId, stage, StageStatus.DONE, exchange.getProperty(DETAIL, String.class), claims.fence(claim(exchange)))) {
            // a replica that lost the run while the stage ran does not record it done: the one that
            // has it now runs it (again) and records it
            throw new io.pgcaravan.work.RunMovedException(runId);
        }
        store.find(runId).ifPresent(run -> store.stages(runId).stream()
                .filter(s -> s.stage().equals(stage) && s.startedAt() != null && s.finishedAt() != null).findFirst()
                .ifPresent(s -> metrics.stageDone(run.job(), stage, java.time.Duration.between(s.startedAt(), s.finishedAt()))));
        exchange.removeProperty(DETAIL);
        Object outer = exchange.removeProperty(OUTER_DETAIL);
        if (outer != null) {
            exchange.setProperty(DETAIL, outer);
        }
        retries.stageDone(runId, stage);
        progress.finish(runId, stage);
        changed.fire(new RunChanged(runId));
        runLog.info(LOG, runId, String.format("%s done", stage));
    }

    /** A stage's one-line summary (set by the stage, see {@link StageDetail}). */
    private static final String DETAIL = StageDetail.PROPERTY;
    private static final String OUTER_DETAIL = "CaravanOuterStageDetail";

    private static Integer claim(Exchange exchange) {
        return exchange.getMessage().getHeader(RunHeaders.CLAIM, Integer.class);
    }

    private static String runId(Exchange exchange) {
        return exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
    }

    /** The stage is the route being run: stage routes are named after their stage. */
    private static String stage(Exchange exchange) {
        String routeId = exchange.getUnitOfWork().getRoute().getRouteId();
        if (!Stages.ALL.contains(routeId)) {
            throw new IllegalStateException("route " + routeId + " is not a stage");
        }
        return routeId;
    }
}

package io.pgcaravan.run;

import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;
import io.pgcaravan.retry.FailureText;
import io.pgcaravan.work.RunContexts;

import io.pgcaravan.retry.FailureClass;
import io.pgcaravan.retry.FailureClassifier;

import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.config.RunOptions;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageRecord;
import io.pgcaravan.store.StageStatus;
import jakarta.enterprise.context.ApplicationScoped;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.track.CaravanMetrics;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The two retry windows, as the error handler's retryWhile: decides for each failure of a stage
 * whether Camel redelivers it. The window is measured from the stage's first failure; its length
 * depends on the failure's class (connection or other). Every failed attempt is recorded on the run.
 */
@ApplicationScoped
@Named("retries")
public class RetryPolicy {

    private static final Logger LOG = Logger.getLogger(RetryPolicy.class);
    /** Exchange property: the class of the last failure, for the run's error message. */
    public static final String FAILURE_CLASS = "CaravanFailureClass";
    /** Exchange property: how long the failing stage was retried, for the run's error message. */
    public static final String RETRIED_FOR = "CaravanRetriedFor";
    private static final String CLOCK = "retry-clock/";

    @Inject
    RunStore store;
    @Inject
    CaravanMetrics metrics;
    @Inject
    RunLog runLog;
    @Inject
    RunContexts contexts;

    @Inject
    ActiveRuns activeRuns;
    @Inject
    FleetClaims claims;

    public boolean retry(Exchange exchange) {
        String runId = exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (!claims.mayRecord(runId, exchange.getMessage().getHeader(RunHeaders.CLAIM, Integer.class))) {
            // a fleet's replica that no longer holds the run records no attempt of it and tries no more
            return false;
        }
        RunRecord run = store.find(runId).orElseThrow();
        String stage = store.stages(runId).stream().filter(s -> s.status() == StageStatus.RUNNING)
                .map(StageRecord::stage).findFirst().orElse("run");
        FailureClass cls = run.status() == RunStatus.CANCELLED ? FailureClass.FINAL : FailureClassifier.classify(failure);
        RunOptions options = run.options();
        Duration window = switch (cls) {
            case CONNECTION -> options.retryConnection();
            case OTHER -> options.retryOther();
            case FINAL -> Duration.ZERO;
        };
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        // the stage's retry clock: a part of the active run, held by the half that runs the stage
        OffsetDateTime first = activeRuns.holdIfAbsent(runId, half(exchange, stage), CLOCK + stage, OffsetDateTime.class,
                () -> now, t -> () -> { });
        Duration elapsed = Duration.between(first, now);
        boolean again = elapsed.compareTo(window) < 0;
        String cause = FailureText.describe(failure);
        store.recordAttempt(runId, stage, now, cls.name(), cause, again);
        metrics.attempt(run.job(), stage, cls.name());
        exchange.setProperty(FAILURE_CLASS, cls);
        exchange.setProperty(RETRIED_FOR, elapsed);
        if (again) {
            runLog.warn(LOG, runId, String.format("%s failed (%s), retrying for another %s: %s", stage, cls.name().toLowerCase(),
                    RetryDuration.format(window.minus(elapsed)), cause));
        } else {
            forget(runId);
        }
        return again;
    }

    /** The run ended or is resumed: the next failure of any of its stages starts a new window. */
    public void forget(String runId) {
        activeRuns.find(runId).ifPresent(r -> r.releaseAll(name -> name.startsWith(CLOCK)));
    }

    /** A stage succeeded: its next failure starts a new window. */
    public void stageDone(String runId, String stage) {
        activeRuns.find(runId).ifPresent(r -> r.release(CLOCK + stage));
    }

    /** The stage's half; a failure before the first stage is the half of the route that failed. */
    private static Half half(Exchange exchange, String stage) {
        return Half.IMPORT.stages().contains(stage) || "import".equals(exchange.getFromRouteId()) ? Half.IMPORT : Half.EXPORT;
    }
}

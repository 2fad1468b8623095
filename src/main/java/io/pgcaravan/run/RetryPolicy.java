package io.pgcaravan.run;

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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    @Inject
    RunStore store;
    @Inject
    CaravanMetrics metrics;
    @Inject
    RunLog runLog;
    @Inject
    RunContexts contexts;

    /** First failure of each failing stage, by "run/stage"; forgotten when the stage is done. */
    private final Map<String, OffsetDateTime> firstFailure = new ConcurrentHashMap<>();

    public boolean retry(Exchange exchange) {
        String runId = exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        RunRecord run = store.find(runId).orElseThrow();
        String stage = store.stages(runId).stream().filter(s -> s.status() == StageStatus.RUNNING)
                .map(StageRecord::stage).findFirst().orElse("run");
        FailureClass cls = run.status() == RunStatus.CANCELLED ? FailureClass.FINAL : FailureClassifier.classify(failure);
        RunOptions options = contexts.options(run);
        Duration window = switch (cls) {
            case CONNECTION -> options.retryConnection();
            case OTHER -> options.retryOther();
            case FINAL -> Duration.ZERO;
        };
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        OffsetDateTime first = firstFailure.computeIfAbsent(runId + "/" + stage, k -> now);
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

    /** A stage succeeded, or the run ended or is resumed: its next failure starts a new window. */
    public void forget(String runId) {
        firstFailure.keySet().removeIf(k -> k.startsWith(runId + "/"));
    }

    public void stageDone(String runId, String stage) {
        firstFailure.remove(runId + "/" + stage);
    }
}

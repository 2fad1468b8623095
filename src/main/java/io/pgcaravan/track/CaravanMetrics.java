package io.pgcaravan.track;

import io.pgcaravan.store.RunStatus;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;

/**
 * What /q/metrics shows about migrations (Prometheus names in brackets): runs by job and outcome
 * (caravan_runs_total), stage durations (caravan_stage_duration_seconds), bytes dumped
 * (caravan_dump_bytes_total) and sent to the intermediate host (caravan_upload_bytes_total), and
 * failed attempts by class (caravan_retry_attempts_total).
 */
@ApplicationScoped
public class CaravanMetrics {

    @Inject
    MeterRegistry registry;

    public void runEnded(String job, RunStatus outcome) {
        registry.counter("caravan.runs", "job", job, "outcome", outcome.name()).increment();
    }

    public void stageDone(String job, String stage, Duration took) {
        Timer.builder("caravan.stage.duration").tag("job", job).tag("stage", stage).register(registry).record(took);
    }

    public void dumped(String job, long bytes) {
        registry.counter("caravan.dump.bytes", "job", job).increment(bytes);
    }

    public void uploaded(String job, long bytes) {
        registry.counter("caravan.upload.bytes", "job", job).increment(bytes);
    }

    public void attempt(String job, String stage, String failureClass) {
        registry.counter("caravan.retry.attempts", "job", job, "stage", stage, "class", failureClass).increment();
    }
}

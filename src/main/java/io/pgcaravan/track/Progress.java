package io.pgcaravan.track;

import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Live progress of the stages that take long: the dump (tables dumped, bytes written), the upload
 * (bytes sent, rate), the restore (items of the dump's table of contents done) and the
 * verification (tables checked). Each stage's counter is a part of the active run while the stage
 * runs (it goes when the stage is done or its half leaves the run); the run history keeps the
 * outcome.
 */
@ApplicationScoped
public class Progress {

    @Inject
    ActiveRuns activeRuns;

    /** One stage's progress as the API shows it. */
    public record View(long done, long total, String unit, Long bytes, Long totalBytes, Long bytesPerSecond, Integer percent) {
    }

    /** A stage's counters; the bytes can also come from a supplier that measures them when asked (a growing dump). */
    public static final class Counter {
        final AtomicLong done = new AtomicLong();
        volatile long total;
        final String unit;
        final AtomicLong bytes = new AtomicLong();
        volatile Long totalBytes;
        volatile java.util.function.LongSupplier bytesSupplier;
        final Instant started = Instant.now();

        Counter(long total, String unit) {
            this.total = total;
            this.unit = unit;
        }

        public void step() {
            done.incrementAndGet();
        }

        /** Counts one item done and passes its result on. */
        public <T> T stepped(T result) {
            step();
            return result;
        }

        public void addBytes(long n) {
            bytes.addAndGet(n);
        }

        public void measureBytesWith(java.util.function.LongSupplier supplier) {
            this.bytesSupplier = supplier;
        }

        public void totalBytes(long totalBytes) {
            this.totalBytes = totalBytes;
        }

        View view() {
            long b = bytesSupplier != null ? bytesSupplier.getAsLong() : bytes.get();
            long seconds = Math.max(1, Duration.between(started, Instant.now()).toSeconds());
            Integer percent = null;
            if (totalBytes != null && totalBytes > 0) {
                percent = (int) Math.min(100, b * 100 / totalBytes);
            } else if (total > 0) {
                percent = (int) Math.min(100, done.get() * 100 / total);
            }
            return new View(done.get(), total, unit, b > 0 ? b : null, totalBytes, b > 0 ? b / seconds : null, percent);
        }
    }

    /** pg_dump and pg_restore say what they are at in verbose mode; these lines are one item each. */
    private static final Pattern DUMPED = Pattern.compile("^pg_dump: dumping contents of table");
    private static final Pattern RESTORED = Pattern.compile("^pg_restore: (creating|processing data for table|executing|finished item)");

    public Counter start(String runId, String stage, long total, String unit) {
        return activeRuns.hold(runId, Half.of(stage), part(stage), new Counter(total, unit), () -> { });
    }

    public Optional<Counter> of(String runId, String stage) {
        return activeRuns.part(runId, part(stage), Counter.class);
    }

    public Optional<View> view(String runId, String stage) {
        return of(runId, stage).map(Counter::view);
    }

    public void finish(String runId, String stage) {
        activeRuns.find(runId).ifPresent(r -> r.release(part(stage)));
    }

    private static String part(String stage) {
        return "progress/" + stage;
    }

    /** A line a tool printed while working for a stage. */
    public void toolLine(String runId, String stage, String tool, String line) {
        Counter c = of(runId, stage).orElse(null);
        if (c == null) {
            return;
        }
        if (("pg_dump".equals(tool) && DUMPED.matcher(line).find()) || ("pg_restore".equals(tool) && RESTORED.matcher(line).find())) {
            c.step();
        }
    }
}

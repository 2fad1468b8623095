package io.pgcaravan.stage.io;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * The staging copies that failed or cancelled runs keep for a resume (a succeeded run's goes at
 * once): what they hold, so that the precheck can say which to discard when space is short;
 * discarding one on request; and dropping those older than caravan.staging.retention, so that a
 * failed run never keeps the next one from its space for long.
 */
@ApplicationScoped
@Named("failedStaging")
public class FailedStaging {

    private static final Logger LOG = Logger.getLogger(FailedStaging.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    io.pgcaravan.work.RunContexts contexts;
    @Inject
    io.pgcaravan.live.ActiveRuns activeRuns;

    /** {@link #sweep(Path)} over the staging directories of every job. */
    public int sweepAll() throws IOException {
        int dropped = 0;
        for (Path root : config.jobs().values().stream().map(contexts::stagingRoot).distinct().toList()) {
            dropped += sweep(root);
        }
        return dropped;
    }

    /** {@link #discard(String, Path)} in the staging directory of the run's job. */
    public long discard(String runId) throws IOException {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run " + runId));
        io.pgcaravan.config.JobConfig job = config.jobs().get(run.job());
        if (job == null) {
            return 0;
        }
        return discard(runId, contexts.stagingRoot(job));
    }

    /** Ended runs' staging copies under a staging root, by run id, in bytes (largest first). */
    public Map<String, Long> held(Path stagingRoot) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Path dir : dirs(stagingRoot)) {
            store.find(dir.getFileName().toString()).filter(r -> !r.status().isActive())
                    .ifPresent(r -> out.put(r.id(), FileTrees.sizeOrZero(dir)));
        }
        return out.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll);
    }

    /** Deletes an ended run's staging copy; returns the bytes freed. A run still going on keeps its own. */
    public long discard(String runId, Path stagingRoot) throws IOException {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run " + runId));
        if (run.status().isActive() || activeRuns.working(runId, io.pgcaravan.live.Half.EXPORT)) {
            // (a cancelled run's export half may still be stopping)
            throw new IllegalStateException("run " + runId + " is " + run.status() + " or still stopping: its staging copy is in use");
        }
        Path dir = stagingRoot.resolve(runId);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        long bytes = FileTrees.sizeOrZero(dir);
        FileTrees.delete(dir);
        LOG.infof("discarded the staging copy of run %s (%s)", runId, FileTrees.humanBytes(bytes));
        return bytes;
    }

    /** Drops the staging copies of runs that ended longer ago than caravan.staging.retention; returns how many. */
    public int sweep(Path stagingRoot) throws IOException {
        Duration keep = RetryDuration.parse(config.staging().retention());
        OffsetDateTime before = OffsetDateTime.now(ZoneOffset.UTC).minus(keep);
        int dropped = 0;
        for (Path dir : dirs(stagingRoot)) {
            RunRecord run = store.find(dir.getFileName().toString()).orElse(null);
            if (run != null && !run.status().isActive() && run.finishedAt() != null && run.finishedAt().isBefore(before)) {
                discard(run.id(), stagingRoot);
                dropped++;
            }
        }
        return dropped;
    }

    /** What the precheck says of them: "" if nothing is held. */
    public String described(Path stagingRoot) {
        Map<String, Long> held = held(stagingRoot);
        if (held.isEmpty()) {
            return "";
        }
        long total = held.values().stream().mapToLong(Long::longValue).sum();
        List<String> each = held.entrySet().stream().limit(5).map(e -> e.getKey() + " " + FileTrees.humanBytes(e.getValue())).toList();
        return "; " + held.size() + " ended runs keep " + FileTrees.humanBytes(total) + " there for a resume (" + String.join(", ", each)
                + (held.size() > 5 ? ", ..." : "") + "): DELETE /api/runs/<id>/staging frees one, and they go by themselves after "
                + config.staging().retention() + " (caravan.staging.retention)";
    }

    private static List<Path> dirs(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(d -> Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}

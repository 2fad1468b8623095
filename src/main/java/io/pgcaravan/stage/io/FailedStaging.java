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
 * discarding one on request; and dropping those older than caravan.staging.retention, those
 * beyond caravan.staging.max-held, and, oldest first, as many as a new run needs the space of, so
 * that a failed run never keeps the next one from its space.
 */
@ApplicationScoped
@Named("failedStaging")
public class FailedStaging {

    private static final Logger LOG = Logger.getLogger(FailedStaging.class);

    @Inject
    io.pgcaravan.store.JobCatalog jobs;
    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    io.pgcaravan.work.RunContexts contexts;
    @Inject
    io.pgcaravan.live.ActiveRuns activeRuns;

    /** {@link #sweep(Path)} and {@link #cap(Path)} over the staging directories of every job. */
    public int sweepAll() throws IOException {
        int dropped = 0;
        for (Path root : jobs.all().values().stream().map(contexts::stagingRoot).distinct().toList()) {
            dropped += sweep(root);
            dropped += cap(root);
        }
        return dropped;
    }

    /** The most ended runs may hold under a staging root: caravan.staging.max-held, if set. */
    public long maxHeld(Path stagingRoot) {
        return config.staging().maxHeld().map(m -> m.asLongValue()).orElse(Long.MAX_VALUE);
    }

    /**
     * Keeps what ended runs hold under caravan.staging.max-held: the copies of the runs that ended
     * longest ago go first (their resumes dump again). Returns how many went.
     */
    public int cap(Path stagingRoot) throws IOException {
        return cap(stagingRoot, maxHeld(stagingRoot));
    }

    /** {@link #cap(Path)} with this many bytes as the most. */
    public int cap(Path stagingRoot, long max) throws IOException {
        long total = held(stagingRoot).values().stream().mapToLong(Long::longValue).sum();
        return discardOldest(stagingRoot, total - max, "the staging copies of ended runs held more than "
                + FileTrees.humanBytes(max) + " (caravan.staging.max-held)").size();
    }

    /**
     * A new run needs this many more bytes than the staging directory has free: the copies of the
     * runs that ended longest ago go until it has them (or none is left), so that a failed run
     * never keeps the next one from its space. Returns the runs whose copies went.
     */
    public List<String> makeRoom(Path stagingRoot, long bytes, String forRun) throws IOException {
        return discardOldest(stagingRoot, bytes, "run " + forRun + " needed the space");
    }

    private List<String> discardOldest(Path stagingRoot, long bytes, String why) throws IOException {
        List<String> gone = new java.util.ArrayList<>();
        if (bytes <= 0) {
            return gone;
        }
        List<RunRecord> oldestFirst = held(stagingRoot).keySet().stream().map(id -> store.find(id).orElse(null))
                .filter(java.util.Objects::nonNull)
                .sorted(java.util.Comparator.comparing(RunRecord::finishedAt, java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())))
                .toList();
        long freed = 0;
        for (RunRecord run : oldestFirst) {
            if (freed >= bytes) {
                break;
            }
            try {
                freed += discard(run.id(), stagingRoot);
                gone.add(run.id());
                LOG.infof("%s: the staging copy of run %s went (a resume of it dumps again)", why, run.id());
            } catch (IllegalStateException inUse) {
                // a run still stopping, or resumed meanwhile, keeps its copy
            }
        }
        return gone;
    }

    /** {@link #discard(String, Path)} in the staging directory of the run's job. */
    public long discard(String runId) throws IOException {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run " + runId));
        io.pgcaravan.config.JobConfig job = jobs.find(run.job()).orElse(null);
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
                + (held.size() > 5 ? ", ..." : "") + "): DELETE /api/runs/<id>/staging (or the status page's Discard staging) frees one; they go by themselves after "
                + config.staging().retention() + " (caravan.staging.retention)"
                + config.staging().maxHeld().map(m -> ", the oldest first beyond " + FileTrees.humanBytes(m.asLongValue())
                        + " (caravan.staging.max-held)").orElse("")
                + ", and the oldest first when a run needs their space";
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

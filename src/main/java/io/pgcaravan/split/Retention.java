package io.pgcaravan.split;

import io.pgcaravan.track.RunHeaders;

import io.pgcaravan.stage.io.FileTrees;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Deletes the deliveries of runs that ended longer ago than caravan.import.retention from the drop
 * directory, with the checked copies of them in the work directory. A delivery whose run has not
 * ended (or is not known here) is never touched.
 */
@ApplicationScoped
@Named("retention")
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;

    public int sweep() throws Exception {
        Duration keep = RetryDuration.parse(config.importHalf().retention().orElseThrow());
        Path drop = config.importHalf().dropDir().toAbsolutePath().normalize();
        OffsetDateTime before = OffsetDateTime.now(ZoneOffset.UTC).minus(keep);
        int deleted = checkedCopies(before);
        if (!Files.isDirectory(drop)) {
            return deleted;
        }
        try (var dirs = Files.list(drop)) {
            // a real directory only: a link planted under a run's name is never followed into what it points to
            for (Path dir : dirs.filter(d -> Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
                String runId = dir.getFileName().toString();
                if (!RunHeaders.RUN_ID_FORMAT.matcher(runId).matches()) {
                    continue;
                }
                RunRecord run = store.find(runId).orElse(null);
                if (run != null && !run.status().isActive() && run.finishedAt() != null && run.finishedAt().isBefore(before)) {
                    FileTrees.delete(dir);
                    deleted++;
                    LOG.infof("deleted the delivery of run %s (ended %s, retention %s)", runId, run.finishedAt(), RetryDuration.format(keep));
                }
            }
        }
        return deleted;
    }

    /**
     * The checked copies the import half read deliveries from (caravan.import.private-copy) go on
     * the same terms, whether or not their delivery is still in the drop directory.
     */
    private int checkedCopies(OffsetDateTime before) throws java.io.IOException {
        Path work = config.dataDir().resolve("work");
        if (!Files.isDirectory(work)) {
            return 0;
        }
        int deleted = 0;
        try (var dirs = Files.list(work)) {
            for (Path dir : dirs.filter(d -> Files.isDirectory(d.resolve(io.pgcaravan.work.RunContext.VERIFIED),
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
                RunRecord run = store.find(dir.getFileName().toString()).orElse(null);
                if (run != null && !run.status().isActive() && run.finishedAt() != null && run.finishedAt().isBefore(before)) {
                    FileTrees.delete(dir.resolve(io.pgcaravan.work.RunContext.VERIFIED));
                    LOG.infof("deleted the checked copy of run %s's delivery (ended %s)", run.id(), run.finishedAt());
                }
            }
        }
        return deleted;
    }
}

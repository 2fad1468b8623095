package io.pgcaravan.pg;

import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;

import io.pgcaravan.config.StartupOrder;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DatabaseEndpoint;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The libpq password files of active runs: one 0600 file per run, written when a tool first needs
 * it and deleted when the run ends (and at start-up, for runs a crash left behind).
 */
@ApplicationScoped
@Named("passFiles")
public class PassFiles {

    private static final Logger LOG = Logger.getLogger(PassFiles.class);

    @Inject
    CaravanConfig config;

    @Inject
    ActiveRuns activeRuns;

    void onStart(@Observes @Priority(StartupOrder.LEFTOVER_PASSFILES) StartupEvent event) throws IOException {
        Path dir = dir();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, "*.pgpass")) {
                for (Path f : leftovers) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /**
     * The passfile for one half of a run, holding the credentials of the job's endpoints that have
     * one. Each half has its own, so that the export half ending cannot delete the file under a
     * restore the import half is running.
     */
    public Path forRun(String runId, Half half, JobConfig job) {
        return activeRuns.holdIfAbsent(runId, half, part(half), Path.class,
                () -> write(runId + "." + half.name().toLowerCase(), job), f -> () -> delete(f));
    }

    /** Deletes a half's passfile before the half leaves the run (made for work done ahead of it). */
    public void release(String runId, Half half) {
        activeRuns.find(runId).ifPresent(r -> r.release(part(half)));
    }

    private static String part(Half half) {
        return "passfile-" + half.name().toLowerCase();
    }

    private static void delete(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warnf("could not delete passfile %s: %s", f, e.getMessage());
        }
    }

    private Path write(String key, JobConfig job) {
        List<String> lines = new ArrayList<>();
        // only the endpoints this agent has: an export agent has no destination, an import agent no source
        job.sourceIfConfigured().flatMap(PassFiles::line).ifPresent(lines::add);
        job.destinationIfConfigured().flatMap(PassFiles::line).ifPresent(lines::add);
        try {
            Path dir = dir();
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path f = dir.resolve(key + ".pgpass");
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(f, lines);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write passfile " + key + ": " + e.getMessage(), e);
        }
    }

    private static Optional<String> line(DatabaseEndpoint ep) {
        // any database of that server and user: the tools also connect to the maintenance database
        return Secrets.password(ep).map(pw -> String.join(":",
                escape(ep.host()), Integer.toString(ep.port()), "*", escape(ep.user()), escape(pw)));
    }

    /** Passfile fields escape ':' and '\' with a backslash. */
    static String escape(String field) {
        return field.replace("\\", "\\\\").replace(":", "\\:");
    }

    private Path dir() {
        return config.runs().secretsDir().orElse(config.fleet().own(config.dataDir().resolve("secrets"))).toAbsolutePath().normalize();
    }
}

package io.pgcaravan.track;


import io.pgcaravan.config.CaravanConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A run's own log: what happened to it, line by line (stages, retries, the tools' output), in
 * {@code <data-dir>/logs/<run-id>.log}, served by {@code GET /api/runs/{id}/log}. Every line also
 * goes to the application log. Nothing written here ever holds a password: the tools never see
 * one, and the role statements are masked.
 */
@ApplicationScoped
public class RunLog {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");

    @Inject
    CaravanConfig config;

    public void info(Logger log, String runId, String message) {
        log.infof("[%s] %s", runId, message);
        append(runId, "INFO", message);
    }

    public void warn(Logger log, String runId, String message) {
        log.warnf("[%s] %s", runId, message);
        append(runId, "WARN", message);
    }

    public void error(Logger log, String runId, String message) {
        log.errorf("[%s] %s", runId, message);
        append(runId, "ERROR", message);
    }

    public Path file(String runId) {
        return config.dataDir().resolve("logs").resolve(runId + ".log").toAbsolutePath().normalize();
    }

    private void append(String runId, String level, String message) {
        if (runId == null || !RunHeaders.RUN_ID_FORMAT.matcher(runId).matches()) {
            return;
        }
        // in a fleet the replicas write to the one log of the run (shared data directory): each line says whose it is
        String who = config.fleet().enabled() ? "[" + config.fleet().replicaName() + "] " : "";
        String line = TIME.format(OffsetDateTime.now(ZoneOffset.UTC)) + " " + level + " " + who + message + "\n";
        try {
            Path f = file(runId);
            Files.createDirectories(f.getParent());
            synchronized (this) {
                Files.writeString(f, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            Logger.getLogger(RunLog.class).debugf("cannot write the log of run %s: %s", runId, e.getMessage());
        }
    }
}

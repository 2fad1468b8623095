package io.pgcaravan.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.exec.ToolFailedException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Starting runs and moving them through their life: the one place that changes a run's status. */
@ApplicationScoped
@Named("runs")
public class Runs {

    private static final Logger LOG = Logger.getLogger(Runs.class);
    /** Run ids become directory names on two hosts: nothing that could climb out of the drop directory. */
    public static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}-\\d{8}T\\d{6}Z-[0-9a-f]{6}");
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;
    @Inject
    ProducerTemplate producer;

    /** Records a new run of the job and queues it; the export half picks it up. */
    public synchronized RunRecord start(String jobName, RunOptions options, String trigger) {
        JobConfig job = job(jobName);
        List<RunRecord> active = store.active(jobName);
        if (!active.isEmpty()) {
            throw new JobBusyException(jobName, active.get(0).id());
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        byte[] rnd = new byte[3];
        RANDOM.nextBytes(rnd);
        String id = jobName + "-" + ID_TIME.format(now) + "-" + HexFormat.of().formatHex(rnd);
        RunOptions effective = options == null ? RunOptions.of(job) : options;
        RunRecord run = new RunRecord(id, jobName, RunStatus.QUEUED, trigger, toJson(effective), now,
                null, null, null, null, null, false);
        store.insert(run, Stages.ALL);
        LOG.infof("run %s of job %s queued (%s)", id, jobName, trigger);
        producer.sendBodyAndHeader("seda:export", null, RunHeaders.RUN_ID, id);
        return run;
    }

    /**
     * Records a run whose export half ran elsewhere (a delivery found in the drop directory): its
     * export stages are done, its import stages to come.
     */
    public synchronized void adopt(String runId, String jobName, RunOptions options) {
        JobConfig job = job(jobName);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        RunOptions effective = options == null ? RunOptions.of(job) : options;
        store.insert(new RunRecord(runId, jobName, RunStatus.RUNNING, "delivery", toJson(effective), now, now,
                null, null, null, null, false), Stages.ALL);
        for (String stage : Stages.EXPORT) {
            store.stageFinished(runId, stage, StageStatus.DONE, "done by the export half that delivered it");
        }
        LOG.infof("run %s of job %s adopted from its delivery", runId, jobName);
    }

    public JobConfig job(String jobName) {
        JobConfig job = config.jobs().get(jobName);
        if (job == null) {
            throw new NoSuchElementException("no job named '" + jobName + "' is configured");
        }
        return job;
    }

    public Optional<RunRecord> find(String runId) {
        return store.find(runId);
    }

    /** The run an exchange works for (its {@link RunHeaders#RUN_ID} header). */
    public RunContext context(Exchange exchange) {
        return context(exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class));
    }

    public RunContext context(String runId) {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run " + runId));
        JobConfig job = job(run.job());
        Path staging = job.stagingDir().orElse(config.dataDir().resolve("staging")).toAbsolutePath().resolve(runId);
        Path delivery = config.importHalf().dropDir().toAbsolutePath().resolve(runId);
        String remote = job.intermediate().dropDir().replaceAll("/+$", "") + "/" + runId;
        return new RunContext(runId, run.job(), job, options(run), staging, delivery, remote);
    }

    public void markRunning(@Header(RunHeaders.RUN_ID) String runId) {
        store.runStarted(runId);
    }

    public void markSucceeded(@Header(RunHeaders.RUN_ID) String runId) throws IOException {
        store.runFinished(runId, RunStatus.SUCCEEDED, null);
        LOG.infof("run %s SUCCEEDED", runId);
        // the verified delivery on the intermediate host is the copy that counts now
        Path staging = context(runId).stagingDir();
        if (Files.exists(staging)) {
            try (Stream<Path> walk = Files.walk(staging)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * Marks the stage that was running, and the run, FAILED with what went wrong. Called from the
     * routes' catch blocks with the exception Camel caught.
     */
    public void markFailed(Exchange exchange) {
        String runId = exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String stage = store.stages(runId).stream().filter(s -> s.status() == StageStatus.RUNNING)
                .map(StageRecord::stage).findFirst().orElse(null);
        String message = describe(cause);
        if (stage != null) {
            store.stageFinished(runId, stage, StageStatus.FAILED, message);
        }
        String error = (stage == null ? "" : stage + ": ") + message;
        store.runFinished(runId, RunStatus.FAILED, error);
        LOG.errorf("run %s FAILED in %s", runId, error);
    }

    /** One line a DBA can act on: the cause's own message, not a stack trace. */
    public static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root
                && !(root instanceof ToolFailedException) && !(root instanceof StageFailedException)) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        return msg == null || msg.isBlank() ? root.getClass().getSimpleName() : msg;
    }

    public RunOptions options(RunRecord run) {
        try {
            return json.readValue(run.optionsJson(), RunOptions.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("run " + run.id() + " has unreadable options", e);
        }
    }

    public String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A job already has an active run; a job never runs twice at the same time. */
    public static class JobBusyException extends RuntimeException {
        private final String activeRunId;

        JobBusyException(String job, String activeRunId) {
            super("job '" + job + "' already has an active run: " + activeRunId);
            this.activeRunId = activeRunId;
        }

        public String activeRunId() {
            return activeRunId;
        }
    }
}

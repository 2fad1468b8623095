package io.pgcaravan.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.exec.ToolExecutor;
import io.pgcaravan.exec.ToolFailedException;
import io.pgcaravan.retry.FailureClass;
import io.pgcaravan.retry.RetryPolicy;
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
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    CaravanMetrics metrics;
    @Inject
    RunLog runLog;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;
    @Inject
    ProducerTemplate producer;
    @Inject
    RetryPolicy retries;
    @Inject
    ToolExecutor tools;
    @Inject
    Progress progress;
    @Inject
    io.pgcaravan.stage.StatusFile statusFile;

    /** Records a new run of the job and queues it; the export half picks it up. */
    public synchronized RunRecord start(String jobName, RunOptions options, String trigger) {
        JobConfig job = job(jobName);
        if (config.role() == CaravanConfig.Role.IMPORT) {
            throw new IllegalStateException("this is an import agent: runs are started on the export agent, "
                    + "and their deliveries imported here");
        }
        List<RunRecord> active = store.active(jobName);
        if (!active.isEmpty()) {
            throw new JobBusyException(jobName, active.get(0).id());
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        String id = newId(jobName, now);
        RunOptions effective = options == null ? RunOptions.of(job) : options;
        RunRecord run = new RunRecord(id, jobName, RunStatus.QUEUED, trigger, toJson(effective), now,
                null, null, null, null, null, false, false, false, null);
        store.insert(run, Stages.ALL);
        runLog.info(LOG, id, String.format("of job %s queued (%s)", jobName, trigger));
        queue(id);
        return run;
    }

    /**
     * A schedule fired for the job: a run starts, or, while the job's last run is still active,
     * one is recorded as SKIPPED with the reason (a job never runs twice at once).
     */
    public synchronized void startScheduled(@Header("CaravanJob") String jobName) {
        try {
            start(jobName, null, "schedule");
        } catch (JobBusyException busy) {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            String id = newId(jobName, now);
            store.insert(new RunRecord(id, jobName, RunStatus.SKIPPED, "schedule", toJson(RunOptions.of(job(jobName))), now,
                    null, now, "skipped: " + busy.getMessage(), null, null, false, false, false, null), List.of());
            metrics.runEnded(jobName, RunStatus.SKIPPED);
            runLog.warn(LOG, id, "scheduled run of job " + jobName + " skipped: " + busy.getMessage());
        }
    }

    private static String newId(String jobName, OffsetDateTime now) {
        byte[] rnd = new byte[3];
        RANDOM.nextBytes(rnd);
        return jobName + "-" + ID_TIME.format(now) + "-" + HexFormat.of().formatHex(rnd);
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
                null, null, null, null, false, false, false, null), Stages.ALL);
        for (String stage : Stages.EXPORT) {
            store.stageFinished(runId, stage, StageStatus.DONE, "done by the export half that delivered it");
        }
        runLog.info(LOG, runId, String.format("of job %s adopted from its delivery", jobName));
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

    /** Where a job's runs keep their dumps before upload: staging-dir, or {@code <data-dir>/staging}. */
    public Path stagingRoot(JobConfig job) {
        return job.stagingDir().orElse(config.dataDir().resolve("staging")).toAbsolutePath().normalize();
    }

    /** The run an exchange works for (its {@link RunHeaders#RUN_ID} header). */
    public RunContext context(Exchange exchange) {
        return context(exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class));
    }

    public RunContext context(String runId) {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run " + runId));
        JobConfig job = job(run.job());
        Path staging = stagingRoot(job).resolve(runId);
        Path delivery = config.importHalf().dropDir().toAbsolutePath().normalize().resolve(runId);
        String remote = job.intermediateIfConfigured().map(i -> i.dropDir().replaceAll("/+$", "") + "/" + runId).orElse(null);
        return new RunContext(runId, run.job(), job, options(run), staging, delivery, remote);
    }

    /**
     * Each half of a run is worked on by one exchange at a time: a run resumed (or recovered) while
     * an earlier exchange still holds it is left to that one.
     */
    private final Set<String> working = ConcurrentHashMap.newKeySet();

    public boolean enterExport(@Header(RunHeaders.RUN_ID) String runId) {
        return working.add(runId + "/export");
    }

    public void leaveExport(@Header(RunHeaders.RUN_ID) String runId) {
        working.remove(runId + "/export");
    }

    public boolean enterImport(@Header(RunHeaders.RUN_ID) String runId) {
        return working.add(runId + "/import");
    }

    public void leaveImport(@Header(RunHeaders.RUN_ID) String runId) {
        working.remove(runId + "/import");
    }

    /** The export half takes the run; a run cancelled while it was queued goes no further. */
    public void markRunning(@Header(RunHeaders.RUN_ID) String runId) {
        if (!store.runStarted(runId)) {
            throw new RunCancelledException(runId);
        }
    }

    /** The run succeeded (in this process's import half). */
    public void markSucceeded(@Header(RunHeaders.RUN_ID) String runId) throws IOException {
        if (store.runFinished(runId, RunStatus.SUCCEEDED, null)) {
            metrics.runEnded(find(runId).orElseThrow().job(), RunStatus.SUCCEEDED);
        }
        statusFile.update(runId);
        runLog.info(LOG, runId, "SUCCEEDED");
        removeStaging(runId);
    }

    /** A succeeded run's local staging copy goes: the verified delivery is the copy that counts now. */
    public void removeStaging(String runId) throws IOException {
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
     * Marks the stage that was running, and the run, FAILED (or CANCELLED, if that is why it
     * stopped) with what went wrong: the stage, the class of failure, how long it was retried and
     * the cause (for a tool, the tail of its stderr). Called by the error handler once a stage's
     * retry window is spent.
     */
    public void markFailed(Exchange exchange) {
        String runId = exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String stage = store.stages(runId).stream().filter(s -> s.status() == StageStatus.RUNNING)
                .map(StageRecord::stage).findFirst().orElse(null);
        FailureClass cls = exchange.getProperty(RetryPolicy.FAILURE_CLASS, FailureClass.class);
        Duration retriedFor = exchange.getProperty(RetryPolicy.RETRIED_FOR, Duration.class);
        StringBuilder message = new StringBuilder();
        if (cls != null && cls != FailureClass.FINAL) {
            message.append(cls.name().toLowerCase()).append(" failure, retried for ")
                    .append(RetryDuration.format(retriedFor == null ? Duration.ZERO : retriedFor)).append(": ");
        }
        message.append(describe(cause));
        if (stage != null) {
            store.stageFinished(runId, stage, StageStatus.FAILED, message.toString());
        }
        String error = (stage == null ? "" : stage + ": ") + message;
        if (store.runFinished(runId, RunStatus.FAILED, error)) {
            metrics.runEnded(find(runId).orElseThrow().job(), RunStatus.FAILED);
            runLog.error(LOG, runId, String.format("FAILED in %s", error));
        } else {
            runLog.info(LOG, runId, String.format("stopped: %s", error));
        }
        retries.forget(runId);
        progress.forget(runId);
        statusFile.update(runId);
    }

    /**
     * Cancels an active run: it is CANCELLED at once, its tools are stopped (with their child
     * processes), and the stage it was in stops at its next step.
     */
    public RunRecord cancel(String runId, String by) {
        RunRecord run = find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        if (!store.runFinished(runId, RunStatus.CANCELLED, "cancelled by " + by)) {
            throw new IllegalStateException("run " + runId + " is " + run.status() + " and cannot be cancelled");
        }
        metrics.runEnded(run.job(), RunStatus.CANCELLED);
        int stopped = tools.stopAll(runId);
        runLog.info(LOG, runId, String.format("cancelled by %s (%d tool processes stopped)", by, stopped));
        return find(runId).orElseThrow();
    }

    /**
     * Resumes a FAILED or CANCELLED run at its first unfinished stage; finished stages are not
     * run again. The export half picks it up, or the import half if the export half was done.
     */
    public synchronized RunRecord resume(String runId) {
        RunRecord run = find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        List<RunRecord> active = store.active(run.job());
        if (!active.isEmpty()) {
            throw new JobBusyException(run.job(), active.get(0).id());
        }
        if (working.contains(runId + "/export") || working.contains(runId + "/import")) {
            // a cancelled run's stage stops at its next step (or after its retry delay)
            throw new IllegalStateException("run " + runId + " is still stopping; resume it in a moment");
        }
        if (!store.requeue(runId)) {
            throw new IllegalStateException("run " + runId + " is " + run.status() + "; only FAILED or CANCELLED runs can be resumed");
        }
        retries.forget(runId);
        RunRecord queued = find(runId).orElseThrow();
        queue(runId);
        runLog.info(LOG, runId, "resumed");
        return queued;
    }

    /**
     * Verifies a restored run's destination again against its manifest (after a cut-over, or to
     * see whether anyone wrote to it since): the verify and report stages run again and the run
     * ends SUCCEEDED or FAILED by what they find.
     */
    public synchronized RunRecord reverify(String runId) {
        RunRecord run = find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        boolean restored = store.stages(runId).stream().anyMatch(s -> s.stage().equals("restore") && s.status() == StageStatus.DONE);
        if (run.status().isActive() || !restored) {
            throw new IllegalStateException("run " + runId + " is " + run.status() + (restored ? "" : " and was not restored")
                    + "; only a finished run whose restore is done can be verified again");
        }
        if (working.contains(runId + "/import")) {
            throw new IllegalStateException("run " + runId + " is still stopping; verify it again in a moment");
        }
        store.stageReset(runId, "verify");
        store.stageReset(runId, "report");
        store.requeueEnded(runId);
        retries.forget(runId);
        RunRecord queued = find(runId).orElseThrow();
        queue(runId);
        runLog.info(LOG, runId, "verifying its destination again");
        return queued;
    }

    /** Hands an active run to the half that has work left for it. */
    public void queue(String runId) {
        boolean exportDone = store.stages(runId).stream()
                .filter(s -> Stages.EXPORT.contains(s.stage())).allMatch(s -> s.status() == StageStatus.DONE);
        if (!exportDone) {
            producer.sendBodyAndHeader("seda:export", null, RunHeaders.RUN_ID, runId);
            return;
        }
        RunContext ctx = context(runId);
        if (config.role() != CaravanConfig.Role.EXPORT && config.importHalf().enabled()
                && Files.exists(ctx.deliveryDir().resolve(RunContext.DONE))) {
            producer.sendBodyAndHeader("seda:import", null, RunHeaders.RUN_ID, runId);
        } else {
            runLog.info(LOG, runId, "waits for the import half to find its delivery");
        }
    }

    /**
     * One line a DBA can act on, not a stack trace: what was being done (the outermost message,
     * e.g. camel-ftp's "Cannot store file: ...") and why (the innermost, e.g. "Pipe closed").
     */
    public static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String outer = null;
        Throwable root = t;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            root = c;
            String m = c.getMessage();
            boolean wrapper = m == null || m.isBlank() || (c.getCause() != null && m.equals(c.getCause().toString()));
            if (outer == null && !wrapper) {
                outer = m;
            }
            if (c instanceof ToolFailedException || c instanceof StageFailedException) {
                break; // their messages say it all
            }
        }
        String inner = root.getMessage() == null || root.getMessage().isBlank() ? root.getClass().getSimpleName() : root.getMessage();
        if (outer == null || outer.contains(inner)) {
            return outer == null ? inner : outer;
        }
        return outer + ": " + inner;
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

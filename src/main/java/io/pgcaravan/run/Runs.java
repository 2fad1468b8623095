package io.pgcaravan.run;

import io.pgcaravan.retry.FailureText;
import io.pgcaravan.store.RunChanged;
import io.pgcaravan.work.RunContexts;

import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageRecord;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.store.Stages;
import io.pgcaravan.track.CaravanMetrics;
import io.pgcaravan.track.Progress;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunCancelledException;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.config.RunOptions;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.exec.ToolExecutor;
import io.pgcaravan.retry.FailureClass;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
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

/** Starting runs and moving them through their life: the one place that changes a run's status. */
@ApplicationScoped
@Named("runs")
public class Runs {

    private static final Logger LOG = Logger.getLogger(Runs.class);
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
    RunContexts contexts;
    @Inject
    Event<RunChanged> changed;

    /** Records a new run of the job and queues it; the export half picks it up. */
    public synchronized RunRecord start(String jobName, RunOptions options, String trigger) {
        JobConfig job = contexts.job(jobName);
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
        RunRecord run = RunRecord.queued(id, jobName, trigger, contexts.toJson(effective), now);
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
            store.insert(RunRecord.skipped(id, jobName, contexts.toJson(RunOptions.of(contexts.job(jobName))), now,
                    "skipped: " + busy.getMessage()), List.of());
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
        JobConfig job = contexts.job(jobName);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        RunOptions effective = options == null ? RunOptions.of(job) : options;
        store.insert(RunRecord.adopted(runId, jobName, contexts.toJson(effective), now), Stages.ALL);
        for (String stage : Stages.EXPORT) {
            store.stageFinished(runId, stage, StageStatus.DONE, "done by the export half that delivered it");
        }
        runLog.info(LOG, runId, String.format("of job %s adopted from its delivery", jobName));
    }

    public Optional<RunRecord> find(String runId) {
        return store.find(runId);
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
        changed.fire(new RunChanged(runId));
        runLog.info(LOG, runId, "SUCCEEDED");
        removeStaging(runId);
    }

    /** A succeeded run's local staging copy goes: the verified delivery is the copy that counts now. */
    public void removeStaging(String runId) throws IOException {
        Path staging = contexts.of(runId).stagingDir();
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
        message.append(FailureText.describe(cause));
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
        changed.fire(new RunChanged(runId));
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
        RunContext ctx = contexts.of(runId);
        if (config.role() != CaravanConfig.Role.EXPORT && config.importHalf().enabled()
                && Files.exists(ctx.deliveryDir().resolve(RunContext.DONE))) {
            producer.sendBodyAndHeader("seda:import", null, RunHeaders.RUN_ID, runId);
        } else {
            runLog.info(LOG, runId, "waits for the import half to find its delivery");
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

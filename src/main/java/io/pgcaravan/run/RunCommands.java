package io.pgcaravan.run;

import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.store.Stages;
import io.pgcaravan.track.CaravanMetrics;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.config.RunOptions;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.exec.ToolExecutor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Header;
import org.jboss.logging.Logger;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The commands of a run's life, as the API, the schedules and the drop directory give them: start,
 * record a skipped schedule, adopt a delivery, cancel, resume, verify again, and hand a run to the
 * half that has work left for it. A job never runs twice at once.
 */
@ApplicationScoped
@Named("runCommands")
public class RunCommands {

    private static final Logger LOG = Logger.getLogger(RunCommands.class);
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
    RetryPolicy retries;
    @Inject
    ToolExecutor tools;
    @Inject
    RunContexts contexts;
    @Inject
    ActiveRuns activeRuns;
    @Inject
    ResumePlan resumePlan;
    @Inject
    RunDispatch dispatch;

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
        RunRecord run = RunRecord.queued(id, jobName, trigger, effective, now);
        try {
            store.insert(run, Stages.ALL, placement(job));
        } catch (RunStore.JobBusyException busy) {
            // another replica queued a run of the job since the look above
            throw new JobBusyException(jobName, store.active(jobName).stream().map(RunRecord::id).findFirst().orElse("(ended since)"));
        }
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
            store.insert(RunRecord.skipped(id, jobName, RunOptions.of(contexts.job(jobName)), now,
                    "skipped: " + busy.getMessage()), List.of());
            metrics.runEnded(jobName, RunStatus.SKIPPED);
            runLog.warn(LOG, id, "scheduled run of job " + jobName + " skipped: " + busy.getMessage());
        }
    }

    /** Which replicas of a fleet may work on each half of the job's runs: those in its source's and its destination's zones. */
    private static RunStore.Placement placement(JobConfig job) {
        return new RunStore.Placement(job.sourceIfConfigured().flatMap(JobConfig.DatabaseEndpoint::zone).orElse(null),
                job.destinationIfConfigured().flatMap(JobConfig.DatabaseEndpoint::zone).orElse(null));
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
        java.util.Map<String, String> done = new java.util.HashMap<>();
        Stages.EXPORT.forEach(stage -> done.put(stage, "done by the export half that delivered it"));
        store.insert(RunRecord.adopted(runId, jobName, effective, now), Stages.ALL, placement(job), done);
        runLog.info(LOG, runId, String.format("of job %s adopted from its delivery", jobName));
    }

    /**
     * Cancels an active run: it is CANCELLED at once, its tools are stopped (with their child
     * processes), and the stage it was in stops at its next step.
     */
    public RunRecord cancel(String runId, String by) {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        if (!store.runFinished(runId, RunStatus.CANCELLED, "cancelled by " + by)) {
            throw new IllegalStateException("run " + runId + " is " + run.status() + " and cannot be cancelled");
        }
        metrics.runEnded(run.job(), RunStatus.CANCELLED);
        int stopped = tools.stopAll(runId);
        int copies = activeRuns.stopWork(runId);
        runLog.info(LOG, runId, String.format("cancelled by %s (%d tool processes stopped%s)", by, stopped,
                copies > 0 ? ", " + copies + " loads or dumps of tables in pieces" : ""));
        return store.find(runId).orElseThrow();
    }

    /**
     * Resumes a FAILED or CANCELLED run at its first unfinished stage; finished stages are not
     * run again. The export half picks it up, or the import half if the export half was done.
     */
    public synchronized RunRecord resume(String runId) {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        List<RunRecord> active = store.active(run.job());
        if (!active.isEmpty()) {
            throw new JobBusyException(run.job(), active.get(0).id());
        }
        if (activeRuns.working(runId, Half.EXPORT) || activeRuns.working(runId, Half.IMPORT)) {
            // a cancelled run's stage stops at its next step (or after its retry delay)
            throw new IllegalStateException("run " + runId + " is still stopping; resume it in a moment");
        }
        if (run.status().isActive()) {
            throw new IllegalStateException("run " + runId + " is " + run.status() + "; only FAILED or CANCELLED runs can be resumed");
        }
        // queued first: from here on no sweep or cap takes the staging copy the plan below counts on
        var stagesBefore = store.stages(runId);
        if (!store.requeue(runId)) {
            throw new IllegalStateException("run " + runId + " is " + run.status() + "; only FAILED or CANCELLED runs can be resumed");
        }
        String redo;
        try {
            redo = resumePlan.redo(run, stagesBefore);
        } catch (java.io.IOException e) {
            store.runFinished(runId, run.status(), run.error());
            throw new java.io.UncheckedIOException("run " + runId + " cannot be resumed: its work directory cannot be written", e);
        }
        if (redo != null) {
            runLog.info(LOG, runId, redo);
        }
        retries.forget(runId);
        RunRecord queued = store.find(runId).orElseThrow();
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
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        boolean restored = store.stages(runId).stream().anyMatch(s -> s.stage().equals("restore") && s.status() == StageStatus.DONE);
        if (run.status().isActive() || !restored) {
            throw new IllegalStateException("run " + runId + " is " + run.status() + (restored ? "" : " and was not restored")
                    + "; only a finished run whose restore is done can be verified again");
        }
        if (activeRuns.working(runId, Half.IMPORT)) {
            throw new IllegalStateException("run " + runId + " is still stopping; verify it again in a moment");
        }
        RunContext ctx = contexts.of(runId);
        if (ctx.privateCopy() && !Files.isDirectory(ctx.verifiedDir(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException("run " + runId + " cannot be verified again: its checked delivery is gone (caravan.import.retention)");
        }
        store.stageReset(runId, "verify");
        store.stageReset(runId, "report");
        store.requeueEnded(runId);
        retries.forget(runId);
        RunRecord queued = store.find(runId).orElseThrow();
        queue(runId);
        runLog.info(LOG, runId, "verifying its destination again");
        return queued;
    }

    /**
     * Hands an active run to the half that has work left for it: in this process, or, in a
     * fleet, to whichever replica claims it next (FleetClaims), this one included.
     */
    public void queue(String runId) {
        if (config.fleet().enabled()) {
            runLog.info(LOG, runId, "queued for the fleet: the first replica with room claims it");
            return;
        }
        dispatch.send(runId);
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

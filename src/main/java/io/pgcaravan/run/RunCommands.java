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
 * half that has work left for it. A database of a job never runs twice at once.
 * Longer than 250 lines because every command that makes or changes a run is here, under one lock,
 * each keeping the same rule (one active run per database of a job); split, they would need
 * that lock shared between them.
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

    /**
     * What starting a job did: a run queued for each of its databases, and the databases left
     * alone because a run of theirs is still active (each with that run's id).
     */
    public record Started(List<RunRecord> runs, java.util.Map<String, String> busy) {
    }

    /**
     * Records a new run of each of the job's databases (a job of one database: one run) and
     * queues them; the export half picks them up. A database whose last run is still active is
     * left out (a database of a job never runs twice at once); if all are, nothing starts.
     *
     * @param only one of the job's databases, or null for all of them
     * @throws JobBusyException when no database could start
     */
    public Started start(String jobName, RunOptions options, String trigger, String only) {
        JobConfig job = contexts.job(jobName);
        if (config.role() == CaravanConfig.Role.IMPORT) {
            throw new IllegalStateException("this is an import agent: runs are started on the export agent, "
                    + "and their deliveries imported here");
        }
        // (outside the lock: listing an unreachable source takes its connect timeout)
        return start(jobName, job, databases(jobName, job, only), options, trigger);
    }

    private synchronized Started start(String jobName, JobConfig job, List<String> databases, RunOptions options, String trigger) {
        List<RunRecord> runs = new java.util.ArrayList<>();
        java.util.Map<String, String> busy = new java.util.LinkedHashMap<>();
        for (String database : databases) {
            // a job of one database records none: its runs are the job's, as before jobs had several
            String recorded = job.severalDatabases() ? database : null;
            List<RunRecord> active = store.active(jobName, recorded);
            if (!active.isEmpty()) {
                busy.put(database, active.get(0).id());
                continue;
            }
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            String id = newId(jobName, now);
            JobConfig one = io.pgcaravan.config.OneDatabase.of(job, recorded);
            RunOptions effective = options == null ? RunOptions.of(one) : options;
            RunRecord run = RunRecord.queued(id, jobName, recorded, trigger, effective, now);
            try {
                store.insert(run, Stages.ALL, placement(one));
            } catch (RunStore.JobBusyException e) {
                // another replica queued a run of it since the look above
                busy.put(database, store.active(jobName, recorded).stream().map(RunRecord::id).findFirst().orElse("(ended since)"));
                continue;
            }
            runs.add(run);
            runLog.info(LOG, id, String.format("of job %s queued (%s)%s", jobName, trigger,
                    job.severalDatabases() ? ", database " + database : ""));
            queue(id);
        }
        if (runs.isEmpty()) {
            throw new JobBusyException(jobName, busy);
        }
        return new Started(List.copyOf(runs), java.util.Collections.unmodifiableMap(busy));
    }

    /** The job's databases as of now (its patterns matched against the source's databases), or {@code only} if it is one of them. */
    private static List<String> databases(String jobName, JobConfig job, String only) {
        JobConfig.DatabaseEndpoint source = job.source();
        List<String> all;
        try {
            all = io.pgcaravan.pg.SourceDatabases.of(source);
        } catch (java.sql.SQLException | RuntimeException e) {
            // (a RuntimeException too: a password file that cannot be read)
            throw new DatabasesUnlistedException("job '" + jobName + "' cannot start: the databases of its source "
                    + source.host() + ":" + source.port() + " cannot be listed to match caravan.jobs." + jobName
                    + ".source.databases (" + e.getMessage() + ")");
        }
        if (only != null && !all.contains(only)) {
            throw new IllegalArgumentException("database: '" + only + "' is not one of the databases of job '" + jobName + "' "
                    + (all.size() > 20 ? "(" + all.size() + " of them)" : all.toString()));
        }
        List<String> chosen = only != null ? List.of(only) : all;
        if (chosen.isEmpty()) {
            throw new IllegalStateException("job '" + jobName + "' has no database to migrate: caravan.jobs." + jobName
                    + ".source.databases matches none of its source's databases");
        }
        for (String db : chosen) {
            String target = io.pgcaravan.config.OneDatabase.destinationName(
                    job.destinationIfConfigured().map(JobConfig.DatabaseEndpoint::database).orElse(JobConfig.RUN_DATABASE), db);
            if (target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) {
                throw new IllegalArgumentException("job '" + jobName + "': the destination database for " + db + ", '" + target
                        + "', is longer than PostgreSQL's 63 bytes; shorten caravan.jobs." + jobName + ".destination.database");
            }
        }
        return chosen;
    }

    /**
     * A schedule fired for the job: a run of each of its databases starts, or, for a database
     * whose last run is still active, one is recorded as SKIPPED with the reason (a database of a
     * job never runs twice at once).
     */
    public void startScheduled(@Header("CaravanJob") String jobName) {
        JobConfig job = contexts.job(jobName);
        java.util.Map<String, String> busy;
        try {
            busy = start(jobName, null, "schedule", null).busy();
        } catch (JobBusyException e) {
            busy = e.busy();
        } catch (DatabasesUnlistedException | IllegalStateException e) {
            // the tick is not lost from sight: it is recorded, with why nothing started
            skipped(jobName, job, null, e.getMessage());
            return;
        }
        busy.forEach((database, activeId) -> skipped(jobName, job, job.severalDatabases() ? database : null,
                "job '" + jobName + "' already has an active run" + (job.severalDatabases() ? " of database " + database : "") + ": " + activeId));
    }

    private void skipped(String jobName, JobConfig job, String database, String why) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        String id = newId(jobName, now);
        // (the options do not depend on the database)
        store.insert(RunRecord.skipped(id, jobName, database, RunOptions.of(job), now,
                "skipped: " + why), List.of());
        metrics.runEnded(jobName, RunStatus.SKIPPED);
        runLog.warn(LOG, id, "scheduled run of job " + jobName + " skipped: " + why);
    }

    /**
     * Where a fleet's replicas may work on each half of the job's runs (those in its source's and
     * its destination's zones), and how many of its runs may be in each half at once.
     */
    private static RunStore.Placement placement(JobConfig job) {
        return new RunStore.Placement(job.sourceIfConfigured().flatMap(JobConfig.DatabaseEndpoint::zone).orElse(null),
                job.destinationIfConfigured().flatMap(JobConfig.DatabaseEndpoint::zone).orElse(null),
                job.sourceIfConfigured().flatMap(JobConfig.DatabaseEndpoint::maxConcurrentRuns).orElse(null),
                job.destinationIfConfigured().flatMap(JobConfig.DatabaseEndpoint::maxConcurrentRuns).orElse(null));
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
    public synchronized void adopt(String runId, String jobName, String database, RunOptions options) {
        JobConfig configured = contexts.job(jobName);
        // the delivery's source database names the run's destination only where destination.database
        // says so ({database}, the default); a literal destination is the job's one database
        String recorded = configured.destination().database().contains(JobConfig.RUN_DATABASE) ? database : null;
        if (configured.destination().database().contains(JobConfig.RUN_DATABASE) && (database == null || database.isBlank())) {
            throw new IllegalArgumentException("delivery " + runId + " names no source database, and destination.database ("
                    + configured.destination().database() + ") is made from it; not adopted");
        }
        JobConfig job = io.pgcaravan.config.OneDatabase.of(configured, recorded);
        String target = job.destination().database();
        if (target.equals(job.destination().maintenanceDatabase()) || target.equals("template0") || target.equals("template1")
                || target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) {
            throw new IllegalArgumentException("delivery " + runId + " would restore into '" + target
                    + "', the destination's maintenance database, a template or a name too long; not adopted");
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        RunOptions effective = options == null ? RunOptions.of(job) : options;
        java.util.Map<String, String> done = new java.util.HashMap<>();
        Stages.EXPORT.forEach(stage -> done.put(stage, "done by the export half that delivered it"));
        store.insert(RunRecord.adopted(runId, jobName, recorded, effective, now), Stages.ALL, placement(job), done);
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
        List<RunRecord> active = store.active(run.job(), run.database());
        if (!active.isEmpty()) {
            throw new JobBusyException(run.job(), java.util.Map.of(run.database() == null ? "" : run.database(), active.get(0).id()));
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

    /** The databases of a job all have an active run; a database of a job never runs twice at the same time. */
    public static class JobBusyException extends RuntimeException {
        private final java.util.Map<String, String> busy;

        JobBusyException(String job, java.util.Map<String, String> busy) {
            super("job '" + job + "' already has an active run" + (busy.size() == 1
                    ? ": " + busy.values().iterator().next()
                    : " of each of its databases: " + busy));
            this.busy = busy;
        }

        /** The databases and their active runs' ids. */
        public java.util.Map<String, String> busy() {
            return busy;
        }
    }

    /** The source's databases could not be listed to match a job's patterns (the source is unreachable, or refuses the login). */
    public static class DatabasesUnlistedException extends RuntimeException {
        DatabasesUnlistedException(String message) {
            super(message);
        }
    }
}

package io.pgcaravan.store;

import io.pgcaravan.config.RunOptions;

import java.time.OffsetDateTime;

/**
 * A run as the store keeps it: its options typed (the store maps them to and from their JSON
 * column); the precheck's items and the verification stay JSON strings, as the stages wrote them.
 */
public record RunRecord(
        String id,
        String job,
        RunStatus status,
        String trigger,
        RunOptions options,
        OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        String error,
        String precheckJson,
        String verificationJson,
        boolean destinationCreated,
        boolean destinationWasEmpty,
        boolean sourceFrozen,
        String sourceFreezePrevious,
        // in a fleet: the replica that has the run, or had it last
        String replica,
        // the source database it migrates (null in runs recorded before runs had one: their job's)
        String database) {

    /** A run just asked for, waiting for the export half. */
    public static RunRecord queued(String id, String job, String database, String trigger, RunOptions options, OffsetDateTime at) {
        return new RunRecord(id, job, RunStatus.QUEUED, trigger, options, at, null, null, null, null, null, false, false, false, null, null, database);
    }

    /** A scheduled run that was not started because the job's last run was still active. */
    public static RunRecord skipped(String id, String job, String database, RunOptions options, OffsetDateTime at, String why) {
        return new RunRecord(id, job, RunStatus.SKIPPED, "schedule", options, at, null, at, why, null, null, false, false, false, null, null, database);
    }

    /** A run whose export half ran elsewhere, found as a delivery in the drop directory: running from now on. */
    public static RunRecord adopted(String id, String job, String database, RunOptions options, OffsetDateTime at) {
        return new RunRecord(id, job, RunStatus.RUNNING, "delivery", options, at, at, null, null, null, null, false, false, false, null, null, database);
    }

    /** The run may drop and recreate the destination database: it created it, or found it empty. */
    public boolean destinationDisposable() {
        return destinationCreated || destinationWasEmpty;
    }
}

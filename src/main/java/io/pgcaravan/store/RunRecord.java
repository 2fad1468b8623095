package io.pgcaravan.store;

import java.time.OffsetDateTime;

/** A run as the store keeps it. JSON columns stay strings here; the API parses them. */
public record RunRecord(
        String id,
        String job,
        RunStatus status,
        String trigger,
        String optionsJson,
        OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        String error,
        String precheckJson,
        String verificationJson,
        boolean destinationCreated,
        boolean destinationWasEmpty,
        boolean sourceFrozen,
        String sourceFreezePrevious) {

    /** A run just asked for, waiting for the export half. */
    public static RunRecord queued(String id, String job, String trigger, String optionsJson, OffsetDateTime at) {
        return new RunRecord(id, job, RunStatus.QUEUED, trigger, optionsJson, at, null, null, null, null, null, false, false, false, null);
    }

    /** A scheduled run that was not started because the job's last run was still active. */
    public static RunRecord skipped(String id, String job, String optionsJson, OffsetDateTime at, String why) {
        return new RunRecord(id, job, RunStatus.SKIPPED, "schedule", optionsJson, at, null, at, why, null, null, false, false, false, null);
    }

    /** A run whose export half ran elsewhere, found as a delivery in the drop directory: running from now on. */
    public static RunRecord adopted(String id, String job, String optionsJson, OffsetDateTime at) {
        return new RunRecord(id, job, RunStatus.RUNNING, "delivery", optionsJson, at, at, null, null, null, null, false, false, false, null);
    }

    /** The run may drop and recreate the destination database: it created it, or found it empty. */
    public boolean destinationDisposable() {
        return destinationCreated || destinationWasEmpty;
    }
}

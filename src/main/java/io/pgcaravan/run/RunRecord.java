package io.pgcaravan.run;

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

    /** The run may drop and recreate the destination database: it created it, or found it empty. */
    public boolean destinationDisposable() {
        return destinationCreated || destinationWasEmpty;
    }
}

package io.pgcaravan.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgcaravan.store.AttemptRecord;
import io.pgcaravan.track.Progress;
import io.pgcaravan.config.RunOptions;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.StageStatus;

import java.time.OffsetDateTime;
import java.util.List;

/** A run as the API shows it. */
public record RunView(
        String id,
        String job,
        // the source database it migrates (a job of several databases has a run of each)
        String database,
        RunStatus status,
        String trigger,
        // in a fleet: the replica that has the run now, or had it last
        String replica,
        RunOptions options,
        OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        Long durationMs,
        String error,
        List<StageView> stages,
        List<AttemptRecord> attempts,
        JsonNode precheck,
        JsonNode verification,
        String url) {

    /** A stage; {@code progress} while it runs (dump, manifest, upload, restore, verify). */
    public record StageView(String name, StageStatus status, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                            Long durationMs, String detail, Progress.View progress) {
    }
}

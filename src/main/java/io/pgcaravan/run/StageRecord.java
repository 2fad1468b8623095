package io.pgcaravan.run;

import java.time.OffsetDateTime;

public record StageRecord(String stage, StageStatus status, OffsetDateTime startedAt, OffsetDateTime finishedAt, String detail) {
}

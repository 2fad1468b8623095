package io.pgcaravan.store;

import java.time.OffsetDateTime;

public record StageRecord(String stage, StageStatus status, OffsetDateTime startedAt, OffsetDateTime finishedAt, String detail) {
}

package io.pgcaravan.store;

import java.time.OffsetDateTime;

/** One failed attempt of a stage: when, the failure's class (CONNECTION, OTHER, FINAL), why, and whether it was retried. */
public record AttemptRecord(int seq, String stage, OffsetDateTime failedAt, String failureClass, String cause, boolean retried) {
}

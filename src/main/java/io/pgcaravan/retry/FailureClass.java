package io.pgcaravan.retry;

/** What kind of failure a stage had, which decides how long it is retried. */
public enum FailureClass {
    /** Database, SSH or network unreachable: retried for the job's {@code retry.connection} window. */
    CONNECTION,
    /** Any other failure (SQL error, a tool's failure, a checksum mismatch, a full disk): {@code retry.other}. */
    OTHER,
    /**
     * A verdict rather than an accident: a failed precheck, a verification mismatch, a rejected host
     * key, a cancelled run. Retrying cannot change it, so it is not retried.
     */
    FINAL
}

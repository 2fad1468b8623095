package io.pgcaravan.store;

public enum RunStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED,
    /** A scheduled run that was due while the job's last run was still active: recorded, not run. */
    SKIPPED;

    public boolean isActive() {
        return this == QUEUED || this == RUNNING;
    }
}

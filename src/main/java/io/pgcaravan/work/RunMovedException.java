package io.pgcaravan.work;

import io.pgcaravan.retry.Classified;
import io.pgcaravan.retry.FailureClass;

/**
 * This replica of a fleet no longer holds the run (its lease ran out and another replica took the
 * run over, or it could not renew it): it stops working on the run and records nothing more of it.
 */
public class RunMovedException extends RuntimeException implements Classified {
    public RunMovedException(String runId) {
        super("run " + runId + " is no longer this replica's: its lease ran out or another replica took it over");
    }

    @Override
    public FailureClass failureClass() {
        return FailureClass.FINAL;
    }
}

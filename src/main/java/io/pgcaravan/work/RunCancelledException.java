package io.pgcaravan.work;

import io.pgcaravan.retry.Classified;
import io.pgcaravan.retry.FailureClass;

/** The run was cancelled through the API: the stage stops and is not retried. */
public class RunCancelledException extends RuntimeException implements Classified {
    public RunCancelledException(String runId) {
        super("run " + runId + " was cancelled");
    }

    @Override
    public FailureClass failureClass() {
        return FailureClass.FINAL;
    }
}

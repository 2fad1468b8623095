package io.pgcaravan.work;

import io.pgcaravan.retry.Classified;
import io.pgcaravan.retry.FailureClass;

/** A stage found a problem it can describe exactly (a failed check, a checksum or count mismatch). */
public class StageFailedException extends RuntimeException implements Classified {

    private final FailureClass failureClass;

    /** A problem a later attempt may not have (retried for the "other" window). */
    public StageFailedException(String message) {
        this(message, FailureClass.OTHER);
    }

    public StageFailedException(String message, FailureClass failureClass) {
        super(message);
        this.failureClass = failureClass;
    }

    /** A verdict (failed precheck, verification mismatch): retrying would not change it. */
    public static StageFailedException verdict(String message) {
        return new StageFailedException(message, FailureClass.FINAL);
    }

    @Override
    public FailureClass failureClass() {
        return failureClass;
    }
}

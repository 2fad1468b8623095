package io.pgcaravan.run;

/** A stage found a problem it can describe exactly (a failed check, a checksum or count mismatch). */
public class StageFailedException extends RuntimeException {
    public StageFailedException(String message) {
        super(message);
    }
}

package io.pgcaravan.retry;

/** An exception that knows its own failure class. */
public interface Classified {
    FailureClass failureClass();
}

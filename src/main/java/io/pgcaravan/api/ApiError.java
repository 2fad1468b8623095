package io.pgcaravan.api;

/** The body of every error the API answers with: what went wrong and what to do about it. */
public record ApiError(int status, String error, String message) {
}

package io.pgcaravan.stage.precheck;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;

/** One named check of the precheck, with its verdict and a one-line reason. */
public record PrecheckItem(String item, Verdict status, String message, List<String> objects,
                           @JsonIgnore boolean unreachable) {

    public enum Verdict { PASS, WARN, FAIL }

    /** The same item with more said at the end of its message. */
    public PrecheckItem withMore(String more) {
        return more == null || more.isEmpty() ? this : new PrecheckItem(item, status, message + more, objects, unreachable);
    }

    public static PrecheckItem pass(String item, String message) {
        return new PrecheckItem(item, Verdict.PASS, message, List.of(), false);
    }

    public static PrecheckItem warn(String item, String message) {
        return new PrecheckItem(item, Verdict.WARN, message, List.of(), false);
    }

    public static PrecheckItem warn(String item, String message, List<String> objects) {
        return new PrecheckItem(item, Verdict.WARN, message, objects, false);
    }

    public static PrecheckItem fail(String item, String message) {
        return new PrecheckItem(item, Verdict.FAIL, message, List.of(), false);
    }

    public static PrecheckItem fail(String item, String message, List<String> objects) {
        return new PrecheckItem(item, Verdict.FAIL, message, objects, false);
    }

    /**
     * A FAIL because a server could not be reached at all (not because it said no): the precheck
     * is then retried for the connection window instead of stopping the run for good.
     */
    public static PrecheckItem unreachable(String item, String message) {
        return new PrecheckItem(item, Verdict.FAIL, message, List.of(), true);
    }
}

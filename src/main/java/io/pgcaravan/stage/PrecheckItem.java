package io.pgcaravan.stage;

import java.util.List;

/** One named check of the precheck, with its verdict and a one-line reason. */
public record PrecheckItem(String item, Verdict status, String message, List<String> objects) {

    public enum Verdict { PASS, WARN, FAIL }

    public static PrecheckItem pass(String item, String message) {
        return new PrecheckItem(item, Verdict.PASS, message, List.of());
    }

    public static PrecheckItem warn(String item, String message) {
        return new PrecheckItem(item, Verdict.WARN, message, List.of());
    }

    public static PrecheckItem fail(String item, String message) {
        return new PrecheckItem(item, Verdict.FAIL, message, List.of());
    }

    public static PrecheckItem fail(String item, String message, List<String> objects) {
        return new PrecheckItem(item, Verdict.FAIL, message, objects);
    }
}

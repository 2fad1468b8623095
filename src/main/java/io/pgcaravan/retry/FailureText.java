package io.pgcaravan.retry;

import io.pgcaravan.exec.ToolFailedException;

/** A failure as one line a DBA can act on, not a stack trace. */
public final class FailureText {

    private FailureText() {
    }

    /**
     * What was being done (the outermost message, e.g. camel-ftp's "Cannot store file: ...") and
     * why (the innermost, e.g. "Pipe closed"). A tool's failure and a stage's own verdict (any
     * {@link Classified} failure) say it all themselves.
     */
    public static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String outer = null;
        Throwable root = t;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            root = c;
            String m = c.getMessage();
            boolean wrapper = m == null || m.isBlank() || (c.getCause() != null && m.equals(c.getCause().toString()));
            if (outer == null && !wrapper) {
                outer = m;
            }
            if (c instanceof ToolFailedException || c instanceof Classified) {
                break; // their messages say it all
            }
        }
        String inner = root.getMessage() == null || root.getMessage().isBlank() ? root.getClass().getSimpleName() : root.getMessage();
        if (outer == null || outer.contains(inner)) {
            return outer == null ? inner : outer;
        }
        return outer + ": " + inner;
    }
}

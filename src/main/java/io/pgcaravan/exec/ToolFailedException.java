package io.pgcaravan.exec;

import java.util.List;

/** A PostgreSQL tool exited with an error; carries the tail of its stderr for the run's error. */
public class ToolFailedException extends RuntimeException {

    private final String tool;
    private final int exitValue;
    private final List<String> stderrTail;

    public ToolFailedException(String tool, int exitValue, List<String> stderrTail) {
        super(tool + " exited with " + exitValue + (stderrTail.isEmpty() ? "" : ": " + String.join(" | ", stderrTail)) + hint(stderrTail));
        this.tool = tool;
        this.exitValue = exitValue;
        this.stderrTail = List.copyOf(stderrTail);
    }

    /**
     * What to do about a refused permission, which a retry alone does not mend: the run is
     * retried within its window like other failures, waiting for someone to act.
     */
    static String hint(List<String> stderr) {
        String all = String.join("\n", stderr).toLowerCase(java.util.Locale.ROOT);
        if (all.contains("must be superuser") || all.contains("permission denied to create extension")
                || all.contains("only superuser")) {
            return " (only a superuser may do this, and a managed destination gives nobody SUPERUSER: the precheck's "
                    + "destination.superuser-only lists such objects; leave it out with select.* or make it the provider's way; "
                    + "the run is retried within its window, waiting for that)";
        }
        if (all.contains("permission denied") || all.contains("must be owner of") || all.contains("must be member of")
                || all.contains("must be able to set role")) {
            return " (a permission the destination's login lacks: grant it, or map the role whose object it is with "
                    + "roles.map.<role>=<login>, see the precheck's destination.ownership; the run is retried within its window, "
                    + "waiting for that)";
        }
        return "";
    }

    public String tool() {
        return tool;
    }

    public int exitValue() {
        return exitValue;
    }

    public List<String> stderrTail() {
        return stderrTail;
    }
}

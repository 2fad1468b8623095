package io.pgcaravan.exec;

import java.util.List;

/** A PostgreSQL tool exited with an error; carries the tail of its stderr for the run's error. */
public class ToolFailedException extends RuntimeException {

    private final String tool;
    private final int exitValue;
    private final List<String> stderrTail;

    public ToolFailedException(String tool, int exitValue, List<String> stderrTail) {
        super(tool + " exited with " + exitValue + (stderrTail.isEmpty() ? "" : ": " + String.join(" | ", stderrTail)));
        this.tool = tool;
        this.exitValue = exitValue;
        this.stderrTail = List.copyOf(stderrTail);
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

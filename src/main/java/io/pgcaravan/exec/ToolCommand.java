package io.pgcaravan.exec;

import org.apache.camel.LoggingLevel;
import org.apache.camel.component.exec.ExecCommand;

import java.io.File;
import java.util.List;
import java.util.Set;

/** A camel-exec command that also knows which run it belongs to, for logging and cancelling. */
public class ToolCommand extends ExecCommand {

    private final String runId;
    private final String stage;

    public ToolCommand(ExecCommand command, String runId, String stage) {
        super(command.getExecutable(), List.copyOf(command.getArgs()), command.getWorkingDir(),
                command.getTimeout(), (Set<Integer>) command.getExitValues(), null, command.getOutFile(),
                false, command.getCommandLogLevel() == null ? LoggingLevel.DEBUG : command.getCommandLogLevel());
        this.runId = runId;
        this.stage = stage;
    }

    /** The stage (route) the tool works for, for its progress. */
    public String stage() {
        return stage;
    }

    public String runId() {
        return runId;
    }

    /** The tool's name without its directory: "pg_dump". */
    public static String toolName(ExecCommand command) {
        return new File(command.getExecutable()).getName();
    }
}

package io.pgcaravan.stage.io;

import org.apache.camel.Message;
import org.apache.camel.component.exec.ExecBinding;

import java.util.List;

/** Puts a tool invocation on the message the way camel-exec reads it. */
public final class ToolCall {

    private ToolCall() {
    }

    public static void set(Message message, String executable, List<String> args) {
        message.setHeader(ExecBinding.EXEC_COMMAND_EXECUTABLE, executable);
        message.setHeader(ExecBinding.EXEC_COMMAND_ARGS, List.copyOf(args));
        message.setBody(null);
    }
}

package io.pgcaravan.exec;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A short tool call made from Java rather than from a route (pg_restore --list, a schema-only
 * pg_dump for the verification): its output is kept for the error, it runs with the same
 * environment rules as the routes' tools ({@link ToolExecutor}: no PG* variables, credentials
 * only from a passfile; English messages).
 */
public final class ToolRuns {

    private ToolRuns() {
    }

    public static void run(List<String> command, long timeoutMinutes) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().put("LC_MESSAGES", "C");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            // the command's first words only: a connection string is never shown
            throw new IOException(String.join(" ", command.subList(0, Math.min(2, command.size()))) + " failed: " + out.strip());
        }
    }
}

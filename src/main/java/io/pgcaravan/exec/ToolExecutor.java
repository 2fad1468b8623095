package io.pgcaravan.exec;

import io.pgcaravan.config.StartupOrder;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.track.Progress;
import io.pgcaravan.track.RunLog;
import io.quarkus.runtime.StartupEvent;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.component.exec.ExecCommand;
import org.apache.camel.component.exec.ExecCommandExecutor;
import org.apache.camel.component.exec.ExecResult;
import org.jboss.logging.Logger;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PostgreSQL tools for camel-exec. Unlike camel-exec's default executor it never buffers
 * a tool's output in memory: the tools write their data to files themselves, and their
 * stdout/stderr lines are streamed into the log as they come (keeping only a short tail for the
 * error message). Each run's processes are a part of the active run, so that a cancel can stop
 * them and a half leaving the run stops what it left running.
 */
@ApplicationScoped
@Named("toolExecutor")
public class ToolExecutor implements ExecCommandExecutor {

    private static final Logger LOG = Logger.getLogger("io.pgcaravan.tool");
    private static final int TAIL_LINES = 20;
    private static final String TOOLS = "tools/";

    @Inject
    CaravanConfig config;
    @Inject
    RunLog runLog;
    @Inject
    Progress progress;
    @Inject
    ActiveRuns activeRuns;

    /**
     * Tools a killed predecessor of this process left running (it could not stop them) are stopped
     * before any run resumes: each tool's pid is kept in a file while it runs.
     */
    void onStart(@Observes @Priority(StartupOrder.LEFTOVER_TOOLS) StartupEvent event) throws IOException {
        Path dir = pidDir();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(dir)) {
            for (Path f : pids) {
                String tool = Files.readString(f).trim();
                ProcessHandle.of(Long.parseLong(f.getFileName().toString()))
                        .filter(h -> h.info().command().map(c -> c.endsWith("/" + tool) || c.equals(tool)).orElse(false))
                        .ifPresent(h -> {
                            LOG.warnf("stopping %s (pid %d) left running by a previous instance", tool, h.pid());
                            h.descendants().forEach(ProcessHandle::destroy);
                            h.destroy();
                        });
                Files.deleteIfExists(f);
            }
        }
    }

    private Path pidDir() {
        return config.fleet().own(config.dataDir().resolve("pids"));
    }

    @Override
    public ExecResult execute(ExecCommand command) throws IOException {
        String runId = command instanceof ToolCommand t ? t.runId() : null;
        String stage = command instanceof ToolCommand t ? t.stage() : null;
        String tool = ToolCommand.toolName(command);
        if (runId != null && activeRuns.moved(runId)) {
            // a fleet's replica that handed the run back (or lost its lease) starts nothing more of it
            throw new RunNotHeldException(runId, tool);
        }
        List<String> cmdline = new ArrayList<>();
        cmdline.add(command.getExecutable());
        cmdline.addAll(command.getArgs());

        ProcessBuilder pb = new ProcessBuilder(cmdline).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (command.getWorkingDir() != null) {
            pb.directory(new File(command.getWorkingDir()));
        }
        // credentials come only from the connection string's passfile, never from the environment
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        // English messages, so that failures can be recognised from the tool's stderr
        pb.environment().put("LC_MESSAGES", "C");
        if (command.getOutFile() != null) {
            pb.redirectOutput(command.getOutFile());
        }

        Process process = pb.start();
        Path pidFile = pidDir().resolve(Long.toString(process.pid()));
        Files.createDirectories(pidDir());
        Files.writeString(pidFile, tool);
        Set<Process> ofRun = runId == null ? null : processes(runId, Half.of(stage));
        if (ofRun != null) {
            ofRun.add(process);
        }
        Deque<String> tail = new ArrayDeque<>();
        try {
            Thread err = stream(process.getErrorStream(), runId, stage, tool, tail);
            Thread out = command.getOutFile() == null ? stream(process.getInputStream(), runId, stage, tool, null) : null;
            int exit = waitFor(process, command.getTimeout());
            err.join();
            if (out != null) {
                out.join();
            }
            List<String> tailLines;
            synchronized (tail) {
                tailLines = List.copyOf(tail);
            }
            // exit 0 only, unless the command allows others (pg_restore going on past errors: 1)
            boolean allowed = exit == 0 || (command.getExitValues() != null && command.getExitValues().contains(exit));
            if (!allowed) {
                throw new ToolFailedException(tool, exit, tailLines);
            }
            byte[] stderr = String.join("\n", tailLines).getBytes(StandardCharsets.UTF_8);
            return new ExecResult(command, InputStream.nullInputStream(), new ByteArrayInputStream(stderr), exit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(tool + " was interrupted", e);
        } finally {
            if (process.isAlive()) {
                destroyTree(process);
            }
            if (ofRun != null) {
                ofRun.remove(process);
            }
            Files.deleteIfExists(pidFile);
        }
    }

    /**
     * The run's tool processes of one half, a part of the active run: whatever still runs when the
     * half leaves the run is stopped then.
     */
    @SuppressWarnings("unchecked")
    private Set<Process> processes(String runId, Half half) {
        return activeRuns.holdIfAbsent(runId, half, TOOLS + half, Set.class, ConcurrentHashMap::newKeySet,
                set -> () -> ((Set<Process>) set).forEach(ToolExecutor::destroyTree));
    }

    /** Stops every tool process of the run, with their children (pg_restore -j forks workers). */
    @SuppressWarnings("unchecked")
    public int stopAll(String runId) {
        int stopped = 0;
        for (Half half : Half.values()) {
            Set<Process> ofRun = activeRuns.part(runId, TOOLS + half, Set.class).orElse(Set.of());
            ofRun.forEach(ToolExecutor::destroyTree);
            stopped += ofRun.size();
        }
        return stopped;
    }

    private static int waitFor(Process process, long timeoutMs) throws InterruptedException {
        if (timeoutMs > 0 && timeoutMs != Long.MAX_VALUE) {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                destroyTree(process);
            }
        }
        return process.waitFor();
    }

    private static void destroyTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
    }

    private Thread stream(InputStream in, String runId, String stage, String tool, Deque<String> tail) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    if (runId == null) {
                        LOG.infof("%s: %s", tool, line);
                    } else {
                        runLog.info(LOG, runId, tool + ": " + line);
                        progress.toolLine(runId, stage, tool, line);
                    }
                    if (tail != null) {
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > TAIL_LINES) {
                                tail.removeFirst();
                            }
                        }
                    }
                }
            } catch (IOException e) {
                LOG.debugf("output of %s ended: %s", tool, e.getMessage());
            }
        }, tool + "-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}

package io.pgcaravan.pg;

import io.pgcaravan.config.CaravanConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds the PostgreSQL client tools and tells their major version. */
@ApplicationScoped
public class PgTools {

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");

    @Inject
    CaravanConfig config;

    /** Absolute path of a tool (pg_dump, pg_restore, ...) or its bare name to be found on the PATH. */
    public String path(String tool) {
        Optional<Path> dir = config.tools().binDir().or(PgTools::newestDebianBinDir);
        return dir.map(d -> d.resolve(tool).toString()).orElse(tool);
    }

    /** The tool's major version, e.g. 15 for "pg_dump (PostgreSQL) 15.18". */
    public int majorVersion(String tool) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(path(tool), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return parseMajor(out).orElseThrow(() -> new IOException(tool + " --version printed no version: " + out.trim()));
    }

    static Optional<Integer> parseMajor(String versionOutput) {
        Matcher m = VERSION.matcher(versionOutput);
        if (!m.find()) {
            return Optional.empty();
        }
        int major = Integer.parseInt(m.group(1));
        return Optional.of(major);
    }

    /** Debian/Ubuntu keep each major's tools in /usr/lib/postgresql/<major>/bin; the newest reads every older server. */
    private static Optional<Path> newestDebianBinDir() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> majors = Files.newDirectoryStream(root)) {
            Optional<Path> best = Optional.empty();
            for (Path m : majors) {
                if (m.getFileName().toString().matches("\\d+") && Files.isExecutable(m.resolve("bin/pg_dump"))) {
                    if (best.isEmpty() || Comparator.<Path>comparingInt(x -> Integer.parseInt(x.getFileName().toString()))
                            .compare(m, best.get()) > 0) {
                        best = Optional.of(m);
                    }
                }
            }
            return best.map(m -> m.resolve("bin"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}

package io.pgcaravan.delivery;

import io.pgcaravan.exec.ToolRuns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sequence values a dump sets (its SEQUENCE SET entries). Sequences are not transactional, so
 * reading them on the source at another moment than pg_dump did could differ; the dump itself is
 * what the destination must match.
 */
public final class DumpSequences {

    /** A sequence's value as the dump sets it; {@code name} is the qualified name as the dump writes it. */
    public record Value(String name, long lastValue, boolean isCalled) {
    }

    private static final Pattern SETVAL = Pattern.compile("SELECT pg_catalog\\.setval\\('((?:[^']|'')*)', (-?\\d+), (true|false)\\);");

    private DumpSequences() {
    }

    /** The dump's table of contents: one line per item pg_restore will restore (pg_restore --list). */
    public static List<String> toc(String pgRestore, Path dump, Path workDir) throws IOException, InterruptedException {
        Path toc = workDir.resolve(".dump.toc");
        try {
            ToolRuns.run(List.of(pgRestore, "--list", "--file=" + toc, dump.toString()), 10);
            return Files.readAllLines(toc, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank() && !l.startsWith(";")).toList();
        } finally {
            Files.deleteIfExists(toc);
        }
    }

    public static List<Value> read(String pgRestore, Path dump, Path workDir) throws IOException, InterruptedException {
        Path list = workDir.resolve(".sequences.list");
        Path sql = workDir.resolve(".sequences.sql");
        try {
            List<String> entries = toc(pgRestore, dump, workDir).stream().filter(l -> l.contains(" SEQUENCE SET ")).toList();
            if (entries.isEmpty()) {
                return List.of();
            }
            Files.write(list, entries, StandardCharsets.UTF_8);
            ToolRuns.run(List.of(pgRestore, "--use-list=" + list, "--file=" + sql, dump.toString()), 10);
            List<Value> out = new ArrayList<>();
            for (String line : Files.readAllLines(sql, StandardCharsets.UTF_8)) {
                Matcher m = SETVAL.matcher(line);
                if (m.matches()) {
                    out.add(new Value(m.group(1).replace("''", "'"), Long.parseLong(m.group(2)), Boolean.parseBoolean(m.group(3))));
                }
            }
            return out;
        } finally {
            Files.deleteIfExists(list);
            Files.deleteIfExists(sql);
        }
    }

}

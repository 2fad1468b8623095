package io.pgcaravan.pg;

import io.pgcaravan.config.JobConfig.DatabaseEndpoint;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The databases a job of several databases migrates ({@code source.databases}), as a run of it
 * starts: names as they are given, patterns ({@code *}, {@code ?}) matched against the source's
 * databases that accept connections, templates and the maintenance database left out unless
 * named; then {@code source.exclude-databases} taken away.
 */
public final class SourceDatabases {

    private SourceDatabases() {
    }

    /** The job's databases, listing the source's own only if a pattern asks for it. */
    public static List<String> of(DatabaseEndpoint source) throws SQLException {
        if (source.databases().isEmpty()) {
            return List.of(source.database()); // a job of one database: its name, whatever characters it holds
        }
        List<String> include = source.databases().get();
        List<String> existing = List.of();
        if (include.stream().anyMatch(SourceDatabases::isPattern)) {
            try (Connection c = PgConnections.open(source, source.maintenanceDatabase())) {
                existing = Catalog.strings(c, "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname");
            }
        }
        return select(existing, include, source.excludeDatabases().orElse(List.of()), source.maintenanceDatabase());
    }

    /** What {@link #of} keeps of the source's {@code existing} databases (ordered as given, each once). */
    public static List<String> select(List<String> existing, List<String> include, List<String> exclude, String maintenance) {
        Set<String> out = new LinkedHashSet<>();
        for (String entry : include) {
            if (!isPattern(entry)) {
                out.add(entry);
                continue;
            }
            Pattern p = ObjectSelection.glob(entry);
            existing.stream().filter(d -> !d.equals(maintenance) && p.matcher(d).matches()).sorted().forEach(out::add);
        }
        List<Pattern> excluded = exclude.stream().map(ObjectSelection::glob).toList();
        List<String> kept = new ArrayList<>();
        for (String d : out) {
            if (excluded.stream().noneMatch(p -> p.matcher(d).matches())) {
                kept.add(d);
            }
        }
        return kept;
    }

    private static boolean isPattern(String entry) {
        return entry.indexOf('*') >= 0 || entry.indexOf('?') >= 0;
    }
}

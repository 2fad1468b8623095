package io.pgcaravan.pg;

import io.pgcaravan.config.JobConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which schemas and tables a job migrates. The patterns are shell-style globs matched here against
 * the exact names in the source's catalog; pg_dump then gets those exact names (quoted), so the
 * dump, the manifest and the verification always agree on what is in scope.
 */
public final class ObjectSelection {

    private final List<Pattern> includeSchemas;
    private final List<Pattern> excludeSchemas;
    private final List<Pattern> includeTables;
    private final List<Pattern> excludeTables;

    private ObjectSelection(List<Pattern> includeSchemas, List<Pattern> excludeSchemas,
                            List<Pattern> includeTables, List<Pattern> excludeTables) {
        this.includeSchemas = includeSchemas;
        this.excludeSchemas = excludeSchemas;
        this.includeTables = includeTables;
        this.excludeTables = excludeTables;
    }

    public static ObjectSelection of(JobConfig.Select select) {
        return new ObjectSelection(globs(select.includeSchemas()), globs(select.excludeSchemas()),
                globs(select.includeTables()), globs(select.excludeTables()));
    }

    public boolean isEverything() {
        return includeSchemas.isEmpty() && excludeSchemas.isEmpty() && includeTables.isEmpty() && excludeTables.isEmpty();
    }

    /** Only some tables are migrated (include-tables): like pg_dump -t, without other objects. */
    public boolean onlyTables() {
        return !includeTables.isEmpty();
    }

    /** pg_dump leaves large objects out once -n or -t narrow the dump down. */
    public boolean dumpsLargeObjects() {
        return includeSchemas.isEmpty() && includeTables.isEmpty();
    }

    public boolean schema(String schema) {
        return (includeSchemas.isEmpty() || matches(includeSchemas, schema)) && !matches(excludeSchemas, schema);
    }

    public boolean table(String schema, String table) {
        String name = schema + "." + table;
        return schema(schema) && (includeTables.isEmpty() || matches(includeTables, name)) && !matches(excludeTables, name);
    }

    public List<Catalog.Table> tables(Collection<Catalog.Table> all) {
        return all.stream().filter(t -> table(t.schema(), t.name())).toList();
    }

    /** pg_dump's selection options for this selection, with exact quoted names from the source's catalog. */
    public List<String> pgDumpArgs(Collection<String> schemas, Collection<Catalog.Table> tables) {
        List<String> args = new ArrayList<>();
        if (!includeSchemas.isEmpty()) {
            schemas.stream().filter(s -> matches(includeSchemas, s)).forEach(s -> args.add("--schema=" + quote(s)));
        }
        schemas.stream().filter(s -> matches(excludeSchemas, s)).forEach(s -> args.add("--exclude-schema=" + quote(s)));
        if (!includeTables.isEmpty()) {
            tables.stream().filter(t -> table(t.schema(), t.name()))
                    .forEach(t -> args.add("--table=" + quote(t.schema()) + "." + quote(t.name())));
        }
        tables.stream().filter(t -> schema(t.schema()) && matches(excludeTables, t.schema() + "." + t.name()))
                .forEach(t -> args.add("--exclude-table=" + quote(t.schema()) + "." + quote(t.name())));
        return args;
    }

    /** A table's exact name as a pg_dump pattern. */
    public static String pattern(String schema, String table) {
        return quote(schema) + "." + quote(table);
    }

    /** A name as a pg_dump pattern that matches exactly it: double-quoted, wildcards literal. */
    static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static boolean matches(List<Pattern> patterns, String name) {
        return patterns.stream().anyMatch(p -> p.matcher(name).matches());
    }

    private static List<Pattern> globs(Optional<List<String>> patterns) {
        return patterns.orElse(List.of()).stream().filter(p -> !p.isBlank()).map(ObjectSelection::glob).toList();
    }

    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.trim().toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}

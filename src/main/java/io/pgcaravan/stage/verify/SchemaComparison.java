package io.pgcaravan.stage.verify;

import io.pgcaravan.delivery.DatabaseEntries;
import io.pgcaravan.delivery.SqlScript;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schema of the source, as the dump carries it, against the destination's, both as pg_dump
 * prints them (pre- and post-data: every object's definition, owner, ACL, comment, security
 * label, policies, publications, large objects' metadata, and the database's own entries). Both
 * scripts come from the same pg_dump version with an empty search_path, so every name is
 * qualified the same way whatever the databases' search_path; each entry (one per object, as the
 * "-- Name: ...; Type: ...; Schema: ...; Owner: ..." headers divide them) is compared statement by
 * statement. What differs only because the run was asked to is allowed and said so: the
 * database's name, the owners and privileges with restore.no-owner, objects a database that
 * existed before the run already had.
 */
public final class SchemaComparison {

    private static final Pattern HEADER = Pattern.compile(
            "^-- Name: (.*); Type: (.*?); Schema: (.*?)(?:; Owner: (.*?))?(?:; Tablespace: .*)?$");
    /** An entry's ALTER ... OWNER TO: the owner is compared from the entry's header instead. */
    private static final Pattern OWNER_STATEMENT = Pattern.compile("^ALTER [A-Z ]+ \\S.* OWNER TO (\"(?:[^\"]|\"\")*\"|[a-z_][a-z0-9_$]*)$",
            Pattern.DOTALL);
    private static final Pattern ACCESS_METHOD_SET = Pattern.compile("(?m)^SET default_table_access_method = (\\S+);$");
    private static final java.util.Set<String> ACCESS_METHOD_TYPES = java.util.Set.of("TABLE", "MATERIALIZED VIEW");

    /** The database's name in its own entries, on both sides: it may be restored under another. */
    static final String DATABASE = "\"<database>\"";

    /**
     * What the run allows to differ. {@code sourceReadOnly}: the source database's own
     * default_transaction_read_only (null if it has none), as the manifest read it: the dump may
     * have caught the run's write freeze instead.
     */
    public record Options(String sourceDatabase, String destinationDatabase, boolean ownersAndPrivileges,
                          boolean destinationExistedBefore, String sourceReadOnly) {
        public Options(String sourceDatabase, String destinationDatabase, boolean ownersAndPrivileges, boolean destinationExistedBefore) {
            this(sourceDatabase, destinationDatabase, ownersAndPrivileges, destinationExistedBefore, null);
        }
    }

    private static final String READ_ONLY = "ALTER DATABASE " + "\"<database>\"" + " SET default_transaction_read_only TO ";

    /** One object's entry: its statements, normalised. */
    record Entry(String type, String schema, String name, String owner, List<String> statements) {
        String key() {
            return type + " " + ("-".equals(schema) ? "" : schema + ".") + name;
        }
    }

    private SchemaComparison() {
    }

    public static Verification.SchemaCheck compare(String source, String destination, Options options) {
        Map<String, List<Entry>> expected = byKey(unfrozen(parse(source, options.sourceDatabase(), options), options));
        Map<String, List<Entry>> found = byKey(parse(destination, options.destinationDatabase(), options));
        List<Verification.SchemaDifference> differences = new ArrayList<>();
        List<String> extraAllowed = new ArrayList<>();
        int matched = 0;
        for (Map.Entry<String, List<Entry>> e : expected.entrySet()) {
            List<Entry> there = found.getOrDefault(e.getKey(), List.of());
            List<Entry> here = e.getValue();
            if (there.isEmpty()) {
                differences.add(new Verification.SchemaDifference(e.getKey(), "missing on the destination",
                        firstStatement(here.get(0)), null));
                continue;
            }
            List<Verification.SchemaDifference> d = differences(e.getKey(), here, there);
            if (d.isEmpty()) {
                matched++;
            }
            differences.addAll(d);
        }
        for (Map.Entry<String, List<Entry>> e : found.entrySet()) {
            if (!expected.containsKey(e.getKey())) {
                if (options.destinationExistedBefore()) {
                    extraAllowed.add(e.getKey());
                } else {
                    differences.add(new Verification.SchemaDifference(e.getKey(), "not in the source's dump", null,
                            firstStatement(e.getValue().get(0))));
                }
            }
        }
        List<Verification.Allowed> allowed = allowed(options, extraAllowed);
        if (!expected.containsKey("DATABASE " + DATABASE)) {
            allowed.add(new Verification.Allowed("the database's own properties", "the dump is of a selection of schemas or tables, "
                    + "for which pg_dump writes none of the database's entries (comment, ACL, settings): they neither travel nor are compared"));
        }
        return new Verification.SchemaCheck(expected.size(), matched, differences, allowed, null);
    }

    private static List<Verification.Allowed> allowed(Options options, List<String> extra) {
        List<Verification.Allowed> out = new ArrayList<>();
        if (!options.sourceDatabase().equals(options.destinationDatabase())) {
            out.add(new Verification.Allowed("the database's name", "restored as " + options.destinationDatabase()
                    + " (the source's is " + options.sourceDatabase() + "): its own entries are compared under that name"));
        }
        out.add(new Verification.Allowed("tablespaces", "the restore puts everything in the destination's default tablespace (--no-tablespaces)"));
        if (!options.ownersAndPrivileges()) {
            out.add(new Verification.Allowed("owners and privileges", "restore.no-owner: the destination's own, not the source's"));
        }
        if (!extra.isEmpty()) {
            out.add(new Verification.Allowed(extra.size() + " objects only on the destination",
                    "the destination database existed before the run: " + String.join(", ", extra.stream().limit(10).toList())
                            + (extra.size() > 10 ? ", ..." : "")));
        }
        return out;
    }

    /** The entries under one key on both sides, statement by statement; overloaded names may have several. */
    private static List<Verification.SchemaDifference> differences(String key, List<Entry> here, List<Entry> there) {
        List<Verification.SchemaDifference> out = new ArrayList<>();
        List<String> expectedOwners = here.stream().map(Entry::owner).sorted().toList();
        List<String> foundOwners = there.stream().map(Entry::owner).sorted().toList();
        if (!Objects.equals(expectedOwners, foundOwners)) {
            out.add(new Verification.SchemaDifference(key, "owner", String.join(", ", expectedOwners), String.join(", ", foundOwners)));
        }
        List<String> exp = here.stream().flatMap(e -> e.statements().stream()).sorted().toList();
        List<String> fnd = there.stream().flatMap(e -> e.statements().stream()).sorted().toList();
        List<String> missing = minus(exp, fnd);
        List<String> extra = minus(fnd, exp);
        for (int i = 0; i < Math.max(missing.size(), extra.size()); i++) {
            out.add(new Verification.SchemaDifference(key, "definition", i < missing.size() ? missing.get(i) : null,
                    i < extra.size() ? extra.get(i) : null));
        }
        return out;
    }

    private static List<String> minus(List<String> a, List<String> b) {
        List<String> rest = new ArrayList<>(b);
        List<String> out = new ArrayList<>();
        for (String s : a) {
            if (!rest.remove(s)) {
                out.add(s);
            }
        }
        return out;
    }

    private static String firstStatement(Entry e) {
        return e.statements().isEmpty() ? null : e.statements().get(0);
    }

    private static Map<String, List<Entry>> byKey(List<Entry> entries) {
        Map<String, List<Entry>> out = new TreeMap<>();
        for (Entry e : entries) {
            out.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
        }
        return out;
    }

    /** The source's entries with the database's read-only default as the source really has it (not as a write freeze left it). */
    private static List<Entry> unfrozen(List<Entry> entries, Options options) {
        // a dump of a selection has no database entries at all: then there is nothing to put right
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (!e.type().equals("DATABASE PROPERTIES")) {
                out.add(e);
                continue;
            }
            List<String> statements = new ArrayList<>(e.statements().stream().filter(s -> !s.startsWith(READ_ONLY)).toList());
            if (options.sourceReadOnly() != null) {
                statements.add(READ_ONLY + "'" + options.sourceReadOnly().replace("'", "''") + "'");
            }
            if (!statements.isEmpty()) {
                out.add(new Entry(e.type(), e.schema(), e.name(), e.owner(), statements));
            }
        }
        return out;
    }

    /** The script's entries, the database's own under {@link #DATABASE} rather than its name. */
    static List<Entry> parse(String script, String database, Options options) {
        List<Entry> out = new ArrayList<>();
        String[] header = null;
        String[] accessMethod = {"heap"};
        StringBuilder body = new StringBuilder();
        for (String line : script.split("\n", -1)) {
            Matcher m = HEADER.matcher(line);
            if (m.matches()) {
                if (header != null) {
                    entry(header, body.toString(), database, options).ifPresent(out::add);
                }
                // pg_dump says a table's access method with a SET before it, where the method
                // changes: each table gets the method in force, wherever the SET stood
                for (String am : ACCESS_METHOD_SET.matcher(body).results().map(r -> r.group(1)).toList()) {
                    accessMethod[0] = am;
                }
                if (ACCESS_METHOD_TYPES.contains(m.group(2))) {
                    body.setLength(0);
                    // a statement of the comparison's own, so that it is compared with the table's others
                    body.append("ACCESS METHOD ").append(accessMethod[0]).append(";\n");
                }
                header = new String[]{m.group(1), m.group(2), m.group(3), m.group(4) == null ? "" : m.group(4)};
                if (!ACCESS_METHOD_TYPES.contains(header[1])) {
                    body.setLength(0);
                }
            } else if (header != null) {
                body.append(line).append('\n');
            }
        }
        if (header != null) {
            entry(header, body.toString(), database, options).ifPresent(out::add);
        }
        return out;
    }

    private static java.util.Optional<Entry> entry(String[] h, String body, String database, Options options) {
        String name = h[0];
        String type = h[1];
        String owner = h[3];
        boolean databaseEntry = type.equals("DATABASE") || type.equals("DATABASE PROPERTIES")
                || (name.startsWith("DATABASE ") && (type.equals("COMMENT") || type.equals("ACL") || type.equals("SECURITY LABEL")));
        boolean privileges = type.equals("ACL") || type.equals("DEFAULT ACL");
        if (privileges && !options.ownersAndPrivileges()) {
            return java.util.Optional.empty();
        }
        List<String> statements = new ArrayList<>();
        for (String s : SqlScript.statements(body)) {
            if (DatabaseEntries.sessionSetting(s) || s.startsWith("SET default_table_access_method ")) {
                continue;
            }
            if (OWNER_STATEMENT.matcher(s).matches()) {
                continue;
            }
            if (databaseEntry) {
                s = DatabaseEntries.renamedIf(s, database, DATABASE);
            }
            statements.add(type.equals("DATABASE") ? createDatabase(s) : s);
        }
        if (databaseEntry) {
            name = name.equals(database) ? DATABASE
                    : name.startsWith("DATABASE ") && DatabaseEntries.unquoted(name.substring(9)).equals(database) ? "DATABASE " + DATABASE : name;
        }
        return java.util.Optional.of(new Entry(type, h[2], name, options.ownersAndPrivileges() ? owner : "", statements));
    }

    /**
     * CREATE DATABASE as pg_dump prints it for the server it reads: LOCALE = x is LC_COLLATE and
     * LC_CTYPE x, and LOCALE_PROVIDER = libc the default that servers before 15 do not print.
     */
    static String createDatabase(String statement) {
        if (!statement.startsWith("CREATE DATABASE ")) {
            return statement;
        }
        Map<String, String> options = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\\b([A-Z_]+) = ('(?:[^']|'')*'|[A-Za-z0-9_]+)").matcher(statement);
        while (m.find()) {
            options.put(m.group(1), m.group(2));
        }
        String locale = options.remove("LOCALE");
        if (locale != null) {
            options.putIfAbsent("LC_COLLATE", locale);
            options.putIfAbsent("LC_CTYPE", locale);
        }
        if ("libc".equals(options.get("LOCALE_PROVIDER"))) {
            options.remove("LOCALE_PROVIDER");
        }
        int with = statement.indexOf(" WITH ");
        String head = with < 0 ? statement : statement.substring(0, with);
        return head + " WITH " + new TreeMap<>(options);
    }
}

package io.pgcaravan.stage.verify;

import io.pgcaravan.delivery.DatabaseEntries;
import io.pgcaravan.delivery.SqlScript;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A schema script as pg_dump prints it, cut into its entries (one per object, as the
 * "-- Name: ...; Type: ...; Schema: ...; Owner: ..." headers divide them), each entry's statements
 * normalised the same way on both sides: without pg_restore's session settings and psql's
 * meta-commands, owners taken from the header, the database's name in its own entries replaced,
 * a table's access method made a statement of the table's.
 */
final class SchemaEntries {

    private static final Pattern HEADER = Pattern.compile(
            "^-- Name: (.*); Type: (.*?); Schema: (.*?)(?:; Owner: (.*?))?(?:; Tablespace: .*)?$");
    /** An entry's ALTER ... OWNER TO: the owner is compared from the entry's header instead. */
    private static final Pattern OWNER_STATEMENT = Pattern.compile("^ALTER [A-Z ]+ \\S.* OWNER TO (\"(?:[^\"]|\"\")*\"|[a-z_][a-z0-9_$]*)$",
            Pattern.DOTALL);
    private static final Pattern ACCESS_METHOD_SET = Pattern.compile("(?m)^SET default_table_access_method = (\\S+);$");
    private static final java.util.Set<String> ACCESS_METHOD_TYPES = java.util.Set.of("TABLE", "MATERIALIZED VIEW");

    /** The database's name in its own entries, on both sides: it may be restored under another. */
    static final String DATABASE = "\"<database>\"";

    /** One object's entry: its statements, normalised. */
    record Entry(String type, String schema, String name, String owner, List<String> statements) {
        String key() {
            return type + " " + ("-".equals(schema) ? "" : schema + ".") + name;
        }
    }

    private SchemaEntries() {
    }

    /**
     * The script's entries, the database's own under {@link #DATABASE} rather than its name;
     * without owners and privileges when they are not compared (restore.no-owner).
     */
    static List<Entry> parse(String script, String database, boolean ownersAndPrivileges) {
        return parse(script, database, ownersAndPrivileges, ownersAndPrivileges);
    }

    /** {@link #parse(String, String, boolean)} with owners and privileges compared or not each on its own. */
    static List<Entry> parse(String script, String database, boolean owners, boolean privileges) {
        List<Entry> out = new ArrayList<>();
        String[] header = null;
        String[] accessMethod = {"heap"};
        StringBuilder body = new StringBuilder();
        for (String line : script.split("\n", -1)) {
            Matcher m = HEADER.matcher(line);
            if (m.matches()) {
                if (header != null) {
                    entry(header, body.toString(), database, owners, privileges).ifPresent(out::add);
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
            entry(header, body.toString(), database, owners, privileges).ifPresent(out::add);
        }
        return out;
    }

    private static java.util.Optional<Entry> entry(String[] h, String body, String database, boolean owners, boolean comparePrivileges) {
        String name = h[0];
        String type = h[1];
        String owner = h[3];
        boolean databaseEntry = type.equals("DATABASE") || type.equals("DATABASE PROPERTIES")
                || (name.startsWith("DATABASE ") && (type.equals("COMMENT") || type.equals("ACL") || type.equals("SECURITY LABEL")));
        boolean privileges = type.equals("ACL") || type.equals("DEFAULT ACL");
        if (privileges && !comparePrivileges) {
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
        return java.util.Optional.of(new Entry(type, h[2], name, owners ? owner : "", statements));
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

package io.pgcaravan.stage.prepare;

import io.pgcaravan.pg.PgConnections;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A database-level setting as pg_db_role_setting keeps it ("search_path=shop, public"), turned
 * back into what ALTER DATABASE ... SET takes. List settings get one literal per element, as
 * pg_dump does, or 'shop, public' would become a single schema name.
 */
public final class DatabaseSetting {

    private static final Set<String> LISTS = Set.of("search_path", "temp_tablespaces", "session_preload_libraries",
            "shared_preload_libraries", "local_preload_libraries", "dynamic_library_path");

    private DatabaseSetting() {
    }

    public static String sql(String setting) {
        int eq = setting.indexOf('=');
        String name = setting.substring(0, eq);
        String value = setting.substring(eq + 1);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_.]*")) {
            throw new IllegalArgumentException("unexpected setting name: " + name);
        }
        if (LISTS.contains(name.toLowerCase())) {
            return name + " TO " + String.join(", ", elements(value).stream().map(PgConnections::literal).toList());
        }
        return name + " TO " + PgConnections.literal(value);
    }

    /** Splits "a, \"B, c\", d" at the commas outside double quotes. */
    static List<String> elements(String value) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : value.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.add(cur.toString().trim());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().trim());
        }
        return out;
    }
}

package io.pgcaravan.pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Questions the precheck asks the source's catalog about the objects in scope. */
public final class SourceInspection {

    private static final String NOT_SYSTEM = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'";
    private static final String NOT_EXTENSION_MEMBER = """
            NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '%s'::regclass AND d.objid = %s AND d.deptype = 'e')""";

    private SourceInspection() {
    }

    /** Relations in scope the connected user cannot read (pg_dump needs SELECT on each and USAGE on its schema). */
    public static List<String> unreadable(Connection c, ObjectSelection selection) throws SQLException {
        return names(c, """
                SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND %s AND %s
                   AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'))
                 ORDER BY 1, 2""".formatted(NOT_SYSTEM, NOT_EXTENSION_MEMBER.formatted("pg_class", "c.oid")), selection);
    }

    /** Tables in scope with neither a primary key nor a unique constraint or index. */
    public static List<String> withoutKey(Connection c, ObjectSelection selection) throws SQLException {
        return names(c, """
                SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'r' AND %s AND %s
                   AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND (i.indisprimary OR i.indisunique))
                 ORDER BY 1, 2""".formatted(NOT_SYSTEM, NOT_EXTENSION_MEMBER.formatted("pg_class", "c.oid")), selection);
    }

    /** Functions written in C outside extensions: managed destinations refuse them. */
    public static List<String> cFunctions(Connection c, ObjectSelection selection) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
                  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
                 WHERE l.lanname = 'c' AND %s AND %s ORDER BY 1, 2""".formatted(NOT_SYSTEM,
                NOT_EXTENSION_MEMBER.formatted("pg_proc", "p.oid")));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (selection.schema(rs.getString(1))) {
                    out.add(rs.getString(1) + "." + rs.getString(2));
                }
            }
        }
        return out;
    }

    public static List<String> extensions(Connection c) throws SQLException {
        return Catalog.strings(c, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1");
    }

    /** Each extension's installed version (plpgsql, which every database has, aside). */
    public static java.util.Map<String, String> extensionVersions(Connection c) throws SQLException {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    public static long largeObjects(Connection c) throws SQLException {
        return Catalog.number(c, "SELECT count(*) FROM pg_largeobject_metadata");
    }

    /** Bytes of table data in scope (heap and TOAST, no indexes): what the dump holds before compression. */
    public static long dataBytes(Connection c, ObjectSelection selection) throws SQLException {
        long total = 0;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, pg_table_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'm') AND %s""".formatted(NOT_SYSTEM));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (selection.table(rs.getString(1), rs.getString(2))) {
                    total += rs.getLong(3);
                }
            }
        }
        return total;
    }

    /** Whether pg_dumpall can read the roles' password hashes (pg_authid) as this user. */
    public static boolean canReadPasswords(Connection c) throws SQLException {
        return Catalog.number(c, "SELECT CASE WHEN has_table_privilege('pg_catalog.pg_authid', 'SELECT') THEN 1 ELSE 0 END") == 1;
    }

    /** Other sessions connected to the database, which a write freeze would not stop. */
    public static long otherSessions(Connection c) throws SQLException {
        return Catalog.number(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
    }

    private static List<String> names(Connection c, String sql, ObjectSelection selection) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (selection.table(rs.getString(1), rs.getString(2))) {
                    out.add(rs.getString(1) + "." + rs.getString(2));
                }
            }
        }
        return out;
    }
}

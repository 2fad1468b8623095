package io.pgcaravan.pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The objects of a database, per schema and kind, as the verification compares them: tables,
 * partitions, views, materialized views (and whether populated), sequences, functions and
 * procedures, triggers, indexes, constraints, types (enums, domains, ranges, composites) and
 * extensions. Objects that belong to an extension come with the extension and are not listed.
 */
public final class Inventory {

    /**
     * One object. {@code table} is the table it belongs to (indexes, constraints, triggers) or
     * is itself (tables), else null; it decides whether the object is in the job's selection.
     */
    public record DbObject(String kind, String schema, String name, String table) {
        public String display() {
            return kind + " " + schema + "." + name;
        }
    }

    private static final String NOT_SYSTEM = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'";

    private static String notMember(String catalog, String oid) {
        return "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '" + catalog + "'::regclass AND d.objid = " + oid
                + " AND d.deptype = 'e')";
    }

    private static final List<String> QUERIES = List.of(
            // relations
            """
            SELECT CASE c.relkind WHEN 'r' THEN CASE WHEN c.relispartition THEN 'partition' ELSE 'table' END
                                  WHEN 'p' THEN CASE WHEN c.relispartition THEN 'partition' ELSE 'partitioned table' END
                                  WHEN 'v' THEN 'view'
                                  WHEN 'm' THEN CASE WHEN c.relispopulated THEN 'materialized view' ELSE 'materialized view (not populated)' END
                                  WHEN 'S' THEN 'sequence' ELSE 'foreign table' END,
                   n.nspname, c.relname, CASE WHEN c.relkind IN ('r', 'p', 'f') THEN c.relname END
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND %s AND %s
            """.formatted(NOT_SYSTEM, notMember("pg_class", "c.oid")),
            // indexes (the ones behind constraints are listed as the constraints)
            """
            SELECT 'index', n.nspname, ci.relname, ct.relname
              FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class ct ON ct.oid = i.indrelid
              JOIN pg_namespace n ON n.oid = ci.relnamespace
             WHERE %s AND %s AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
            """.formatted(NOT_SYSTEM, notMember("pg_class", "ct.oid")),
            // table and domain constraints
            """
            SELECT CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'f' THEN 'foreign key' WHEN 'u' THEN 'unique constraint'
                                  WHEN 'c' THEN 'check constraint' WHEN 'x' THEN 'exclusion constraint' ELSE 'constraint' END,
                   n.nspname, coalesce(c.relname, t.typname) || '.' || k.conname, c.relname
              FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
              LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
             WHERE %s AND k.contype IN ('p', 'f', 'u', 'c', 'x') AND k.conparentid = 0 AND %s
            """.formatted(NOT_SYSTEM, notMember("pg_constraint", "k.oid")),
            // triggers
            """
            SELECT 'trigger', n.nspname, c.relname || '.' || g.tgname, c.relname
              FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT g.tgisinternal AND g.tgparentid = 0 AND %s
            """.formatted(NOT_SYSTEM),
            // functions and procedures
            """
            SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' ELSE 'function' END,
                   n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE %s AND %s
            """.formatted(NOT_SYSTEM, notMember("pg_proc", "p.oid")),
            // types of their own (not the row types of tables, not arrays)
            """
            SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range' ELSE 'composite type' END,
                   n.nspname, t.typname, NULL
              FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE %s AND %s
               AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
            """.formatted(NOT_SYSTEM, notMember("pg_type", "t.oid")),
            // extensions
            """
            SELECT 'extension', n.nspname, e.extname, NULL
              FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'
            """);

    private Inventory() {
    }

    /** The database's objects within the selection, sorted. */
    public static List<DbObject> read(Connection c, ObjectSelection selection) throws SQLException {
        List<DbObject> out = new ArrayList<>();
        // before 13 a partition's copy of its parent's trigger was internal, and there was no tgparentid
        boolean before13 = Catalog.serverMajor(c) < 13;
        for (String query : QUERIES) {
            String sql = before13 ? query.replace(" AND g.tgparentid = 0", "") : query;
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    DbObject o = new DbObject(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
                    if (selected(o, selection)) {
                        out.add(o);
                    }
                }
            }
        }
        out.sort((a, b) -> a.display().compareTo(b.display()));
        return out;
    }

    /**
     * An object is in scope with its schema, and a table's objects with their table. Only tables
     * are dumped with include-tables (like pg_dump -t), so then only theirs count.
     */
    private static boolean selected(DbObject o, ObjectSelection selection) {
        if (o.table() != null) {
            return selection.table(o.schema(), o.table());
        }
        return selection.schema(o.schema()) && !selection.onlyTables();
    }
}

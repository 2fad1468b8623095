package io.pgcaravan.pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** What the system catalogs say about a database's tables. */
public final class Catalog {

    /**
     * A table that holds rows of its own: an ordinary table, a leaf partition, or a member of an
     * inheritance tree. Partitioned parents hold no rows and are not listed.
     */
    public record Table(String schema, String name, String kind) {
        public String qualified() {
            return PgConnections.qualified(schema, name);
        }

        public String display() {
            return schema + "." + name;
        }
    }

    private static final String TABLES = """
            SELECT n.nspname, c.relname,
                   CASE WHEN c.relispartition THEN 'partition'
                        WHEN EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) THEN 'inheritance child'
                        WHEN EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid) THEN 'inheritance parent'
                        ELSE 'table' END
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r'
               AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname !~ '^pg_(toast|temp_)'
               -- tables an extension creates come back with CREATE EXTENSION, not with the data
               AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
             ORDER BY 1, 2
            """;

    private Catalog() {
    }

    public static List<Table> tables(Connection c) throws SQLException {
        List<Table> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(TABLES); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Table(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }
        return out;
    }

    public static int serverMajor(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT current_setting('server_version_num')::int");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            int num = rs.getInt(1);
            return num >= 100000 ? num / 10000 : num / 100;
        }
    }

    public static String serverVersion(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SHOW server_version"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * What CREATE DATABASE needs to recreate the database as it is: encoding, collation, ctype,
     * owner, and its own settings (ALTER DATABASE ... SET, as "name=value").
     */
    public record DatabaseSettings(String encoding, String collate, String ctype, String owner, List<String> settings) {
    }

    public static DatabaseSettings databaseSettings(Connection c) throws SQLException {
        String encoding;
        String collate;
        String ctype;
        String owner;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, pg_get_userbyid(d.datdba)
                  FROM pg_database d WHERE d.datname = current_database()""");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            encoding = rs.getString(1);
            collate = rs.getString(2);
            ctype = rs.getString(3);
            owner = rs.getString(4);
        }
        return new DatabaseSettings(encoding, collate, ctype, owner, strings(c, """
                SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
                 WHERE d.datname = current_database() AND s.setrole = 0"""));
    }

    public static List<String> schemas(Connection c) throws SQLException {
        return strings(c, "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') "
                + "AND nspname !~ '^pg_(toast|temp_|toast_temp_)' ORDER BY 1");
    }

    /** Every relation pg_dump could be told to include or exclude (tables, partitioned tables, views, sequences, ...). */
    public static List<Table> relations(Connection c) throws SQLException {
        List<Table> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
                 ORDER BY 1, 2""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Table(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }
        return out;
    }

    /** The first column of every row, as strings. */
    public static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    public static long number(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public static boolean databaseExists(Connection maintenance, String name) throws SQLException {
        try (PreparedStatement ps = maintenance.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}

package io.pgcaravan.pg;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What a database holds that only a superuser can restore, so that a destination whose login is
 * not one (every managed service) refuses it: event triggers, publications FOR ALL TABLES,
 * functions in untrusted languages (C included), objects put into pg_catalog, and database or
 * per-role settings that only a superuser may set.
 */
public final class SuperuserOnly {

    private static final String QUERY = """
            SELECT 'event trigger ' || quote_ident(evtname) FROM pg_event_trigger
            UNION ALL
            SELECT 'publication ' || quote_ident(pubname) || ' FOR ALL TABLES' FROM pg_publication WHERE puballtables
            UNION ALL
            SELECT 'function ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid)
                   || ') in the untrusted language ' || l.lanname
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
             WHERE p.oid >= 16384 AND NOT l.lanpltrusted AND l.lanname <> 'internal'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'relation pg_catalog.' || quote_ident(relname) || ' (objects of its own in pg_catalog)' FROM pg_class
             WHERE relnamespace = 'pg_catalog'::regnamespace AND oid >= 16384
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = pg_class.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'setting ' || split_part(c, '=', 1) || CASE WHEN s.setrole = 0 THEN ' of the database' ELSE ' of role '
                   || quote_ident(pg_get_userbyid(s.setrole)) || ' in the database' END || ' (only a superuser may set it)'
              FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
              JOIN pg_settings g ON g.name = split_part(c, '=', 1)
             WHERE d.datname = current_database() AND g.context = 'superuser'
            ORDER BY 1
            """;

    private SuperuserOnly() {
    }

    /** The connection's database's objects and settings that only a superuser can restore, described. */
    public static List<String> of(Connection c) throws SQLException {
        return Catalog.strings(c, QUERY);
    }
}

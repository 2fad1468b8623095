package io.pgcaravan.pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The roles a database needs on the server it moves to: the owners of everything in it, every
 * grantee and grantor of its privileges (and of its default privileges), the roles its policies
 * name, the roles with settings in it, the database's owner; then every role that is a member of
 * one of these (the logins of an application's group roles), and every role any of them is a
 * member of, so that each role that comes has all its memberships. The system's own roles
 * (pg_*) and the bootstrap superuser (OID 10, whatever its name) stay behind: every server has
 * its own.
 */
public final class NeededRoles {

    /** User objects have OIDs from FirstNormalObjectId on; below are the catalogs' own. */
    private static final String USER = "oid >= 16384";

    private static final String REFERENCED = """
            SELECT datdba FROM pg_database WHERE datname = current_database()
            UNION SELECT (aclexplode(datacl)).grantee FROM pg_database WHERE datname = current_database()
            UNION SELECT (aclexplode(datacl)).grantor FROM pg_database WHERE datname = current_database()
            UNION SELECT setrole FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()
            UNION SELECT relowner FROM pg_class WHERE %1$s
            UNION SELECT nspowner FROM pg_namespace WHERE %1$s OR nspname = 'public'
            UNION SELECT proowner FROM pg_proc WHERE %1$s
            UNION SELECT typowner FROM pg_type WHERE %1$s
            UNION SELECT collowner FROM pg_collation WHERE %1$s
            UNION SELECT conowner FROM pg_conversion WHERE %1$s
            UNION SELECT oprowner FROM pg_operator WHERE %1$s
            UNION SELECT opcowner FROM pg_opclass WHERE %1$s
            UNION SELECT opfowner FROM pg_opfamily WHERE %1$s
            UNION SELECT cfgowner FROM pg_ts_config WHERE %1$s
            UNION SELECT dictowner FROM pg_ts_dict WHERE %1$s
            UNION SELECT stxowner FROM pg_statistic_ext WHERE %1$s
            UNION SELECT extowner FROM pg_extension WHERE %1$s
            UNION SELECT evtowner FROM pg_event_trigger
            UNION SELECT fdwowner FROM pg_foreign_data_wrapper WHERE %1$s
            UNION SELECT srvowner FROM pg_foreign_server
            UNION SELECT umuser FROM pg_user_mappings
            UNION SELECT pubowner FROM pg_publication
            UNION SELECT subowner FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()
            UNION SELECT lomowner FROM pg_largeobject_metadata
            UNION SELECT defaclrole FROM pg_default_acl
            UNION SELECT unnest(polroles) FROM pg_policy
            UNION SELECT (aclexplode(relacl)).grantee FROM pg_class c WHERE %2$s
            UNION SELECT (aclexplode(relacl)).grantor FROM pg_class c WHERE %2$s
            UNION SELECT (aclexplode(attacl)).grantee FROM pg_attribute WHERE attrelid >= 16384
            UNION SELECT (aclexplode(attacl)).grantor FROM pg_attribute WHERE attrelid >= 16384
            UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace c WHERE %4$s
            UNION SELECT (aclexplode(nspacl)).grantor FROM pg_namespace c WHERE %4$s
            UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc c WHERE %3$s
            UNION SELECT (aclexplode(proacl)).grantor FROM pg_proc c WHERE %3$s
            UNION SELECT (aclexplode(typacl)).grantee FROM pg_type WHERE %1$s
            UNION SELECT (aclexplode(typacl)).grantor FROM pg_type WHERE %1$s
            UNION SELECT lanowner FROM pg_language WHERE %1$s
            UNION SELECT (aclexplode(lanacl)).grantee FROM pg_language c WHERE %5$s
            UNION SELECT (aclexplode(lanacl)).grantor FROM pg_language c WHERE %5$s
            UNION SELECT (aclexplode(lomacl)).grantee FROM pg_largeobject_metadata
            UNION SELECT (aclexplode(lomacl)).grantor FROM pg_largeobject_metadata
            UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
            UNION SELECT (aclexplode(defaclacl)).grantor FROM pg_default_acl
            UNION SELECT (aclexplode(fdwacl)).grantee FROM pg_foreign_data_wrapper
            UNION SELECT (aclexplode(fdwacl)).grantor FROM pg_foreign_data_wrapper
            UNION SELECT (aclexplode(srvacl)).grantee FROM pg_foreign_server
            UNION SELECT (aclexplode(srvacl)).grantor FROM pg_foreign_server
            """.formatted(USER, changed("pg_class", "relacl"), changed("pg_proc", "proacl"), changed("pg_namespace", "nspacl"),
            changed("pg_language", "lanacl"));

    /** The roles referenced, as an array: the closure below is planned far better over a literal set (5 ms against 2 s). */
    private static final String REFERENCED_ARRAY = "SELECT coalesce(array_agg(DISTINCT r), '{}')::text FROM (" + REFERENCED + ") x(r)";

    private static final String QUERY = """
            WITH RECURSIVE referenced(r) AS (SELECT unnest(?::oid[])),
            members(r) AS (
                SELECT r FROM referenced WHERE r <> 0
                UNION SELECT m.member FROM pg_auth_members m JOIN members x ON x.r = m.roleid
            ),
            groups(r) AS (
                SELECT r FROM members
                UNION SELECT m.roleid FROM pg_auth_members m JOIN groups g ON g.r = m.member
            )
            SELECT rolname FROM pg_roles WHERE oid IN (SELECT r FROM groups) AND rolname !~ '^pg_' AND oid <> 10 ORDER BY 1
            """;

    /**
     * User objects, and the system's own whose privileges were changed from what initdb gave
     * them (pg_init_privs): pg_dump dumps those grants too (GRANT EXECUTE ON FUNCTION
     * pg_catalog.pg_read_file TO app), so their grantees must exist on the destination.
     */
    private static String changed(String catalog, String acl) {
        return "c.oid >= 16384 OR c." + acl + " IS DISTINCT FROM (SELECT i.initprivs FROM pg_init_privs i WHERE i.objoid = c.oid "
                + "AND i.classoid = '" + catalog + "'::regclass AND i.objsubid = 0)";
    }

    private NeededRoles() {
    }

    /**
     * The roles a restore has to act as: the owners of everything, the grantors of privileges and
     * the default-privilege roles (the grantees it only names). A destination login that is not a
     * superuser must be able to SET ROLE to each, or each must be mapped (the precheck's
     * destination.ownership). pg_* roles and the bootstrap superuser too, by name.
     */
    public static Set<String> acting(Connection c) throws SQLException {
        String lines = java.util.Arrays.stream(REFERENCED.split("\n"))
                .filter(l -> !l.contains(".grantee") && !l.contains("polroles") && !l.contains("setrole") && !l.contains("umuser")
                        && !l.isBlank())
                .map(String::strip).reduce((a, b) -> a + "\n" + b).orElseThrow();
        if (lines.startsWith("UNION ")) {
            lines = lines.substring("UNION ".length());
        }
        return new LinkedHashSet<>(Catalog.strings(c, "SELECT rolname FROM pg_roles WHERE oid IN (" + lines + ") AND rolname !~ '^pg_' ORDER BY 1"));
    }

    /** The names of the roles the database (the connection's) needs. */
    public static Set<String> of(Connection c) throws SQLException {
        String referenced = Catalog.strings(c, REFERENCED_ARRAY).get(0);
        Set<String> out = new LinkedHashSet<>();
        try (PreparedStatement ps = c.prepareStatement(QUERY)) {
            ps.setString(1, referenced);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}

package io.pgcaravan.check;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The checker's reading of a schema from the catalogs, for servers the machine's pg_dump cannot
 * read (it refuses a newer major): every object's definition as the server itself prints it
 * (pg_get_*def, format_type, pg_get_expr), owner, privileges (aclexplode), comment, and the
 * properties pg_dump would carry (persistence, options, row security, statistics targets,
 * partition bounds, enum labels in order, sequence parameters, policies, publications, default
 * privileges, large objects). Each query returns (object, its facts); the source's are compared
 * with the roles mapped. The public schema's owner and privileges are left out when the source
 * is older than 15: PostgreSQL 15 changed them, and pg_dump carries them only where a database
 * had changed them.
 */
final class CatalogSchema {

    private static final String USER_NS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'";
    private static final String NOT_EXT = "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = %s AND e.deptype = 'e')";

    private static String acl(String catalog, String aclColumn, String ownerColumn, String type) {
        String entry = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || '=' "
                + "|| a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END || '/' || pg_get_userbyid(a.grantor)";
        return "coalesce((SELECT string_agg(" + entry + ", ',' ORDER BY " + entry + ") FROM aclexplode(coalesce(" + catalog + "." + aclColumn + ", acldefault('" + type + "', " + catalog + "."
                + ownerColumn + "))) a), '')";
    }

    private static List<String> queries(boolean publicSchemaToo) {
        return List.of(
                // schemas
                "SELECT 'schema ' || n.nspname, 'owner=' || pg_get_userbyid(n.nspowner) || ' acl=' || " + acl("n", "nspacl", "nspowner", "n")
                        + " || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '') FROM pg_namespace n WHERE " + USER_NS
                        + (publicSchemaToo ? "" : " AND n.nspname <> 'public'")
                        + " AND " + NOT_EXT.formatted("n.oid"),
                // relations
                "SELECT 'relation ' || n.nspname || '.' || c.relname, 'kind=' || c.relkind::text || ' owner=' || pg_get_userbyid(c.relowner)"
                        + " || ' acl=' || " + acl("c", "relacl", "relowner", "r")
                        + " || ' persistence=' || c.relpersistence::text || ' options=' || coalesce(array_to_string(c.reloptions, ','), '')"
                        + " || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity"
                        + " || ' am=' || coalesce((SELECT amname FROM pg_am WHERE oid = c.relam), '')"
                        + " || ' bound=' || coalesce(pg_get_expr(c.relpartbound, c.oid), '')"
                        + " || ' key=' || CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) ELSE '' END"
                        + " || ' parents=' || coalesce((SELECT string_agg(i.inhparent::regclass::text, ',' ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid), '')"
                        + " || ' view=' || CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) ELSE '' END"
                        + " || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')"
                        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND "
                        + USER_NS + " AND " + NOT_EXT.formatted("c.oid")
                        + " AND NOT (c.relkind = 'c' AND EXISTS (SELECT 1 FROM pg_type t WHERE t.typrelid = c.oid AND t.typtype <> 'c'))",
                // columns, in order (dropped ones aside)
                "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname,"
                        + " 'position=' || (SELECT count(*) FROM pg_attribute b WHERE b.attrelid = a.attrelid AND b.attnum > 0 AND NOT b.attisdropped AND b.attnum <= a.attnum)"
                        + " || ' type=' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull"
                        + " || ' default=' || coalesce((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum), '')"
                        + " || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text"
                        + " || ' statistics=' || coalesce(a.attstattarget::int, -1)"
                        + " || ' options=' || coalesce(array_to_string(a.attoptions, ','), '')"
                        + " || ' collation=' || CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid) THEN (SELECT collname FROM pg_collation WHERE oid = a.attcollation) ELSE '' END"
                        + " || ' acl=' || coalesce((SELECT string_agg(CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END || '=' || x.privilege_type || '/' || pg_get_userbyid(x.grantor), ',' ORDER BY CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END || '=' || x.privilege_type || '/' || pg_get_userbyid(x.grantor)) FROM aclexplode(a.attacl) x), '')"
                        + " || ' comment=' || coalesce(col_description(c.oid, a.attnum), '')"
                        + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND " + USER_NS
                        + " AND " + NOT_EXT.formatted("c.oid"),
                // constraints of tables and domains
                "SELECT 'constraint ' || n.nspname || '.' || coalesce(c.relname, t.typname) || '.' || k.conname,"
                        + " pg_get_constraintdef(k.oid) || ' comment=' || coalesce(obj_description(k.oid, 'pg_constraint'), '')"
                        + " FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace LEFT JOIN pg_class c ON c.oid = k.conrelid"
                        + " LEFT JOIN pg_type t ON t.oid = k.contypid WHERE " + USER_NS + " AND k.conparentid = 0",
                // indexes
                "SELECT 'index ' || n.nspname || '.' || ci.relname, pg_get_indexdef(i.indexrelid) || ' comment=' || coalesce(obj_description(ci.oid, 'pg_class'), '')"
                        + " FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ci.relnamespace WHERE " + USER_NS,
                // triggers
                "SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || g.tgname, pg_get_triggerdef(g.oid) || ' enabled=' || g.tgenabled::text"
                        + " FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE NOT g.tgisinternal AND " + USER_NS,
                // policies
                "SELECT 'policy ' || n.nspname || '.' || c.relname || '.' || p.polname, 'cmd=' || p.polcmd::text || ' permissive=' || p.polpermissive"
                        + " || ' roles=' || (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END, ',' ORDER BY CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END) FROM unnest(p.polroles) r)"
                        + " || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')"
                        + " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace",
                // functions
                "SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',"
                        + " 'owner=' || pg_get_userbyid(p.proowner) || ' acl=' || " + acl("p", "proacl", "proowner", "f")
                        + " || ' definition=' || CASE WHEN p.prokind IN ('f', 'p') THEN md5(pg_get_functiondef(p.oid)) ELSE p.prokind::text END"
                        + " || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')"
                        + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE " + USER_NS + " AND " + NOT_EXT.formatted("p.oid")
                        // a range type's constructors are its own (whose owner a server's version decides)
                        + " AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i')",
                // types of their own
                "SELECT 'type ' || n.nspname || '.' || t.typname, 'kind=' || t.typtype::text || ' owner=' || pg_get_userbyid(t.typowner)"
                        + " || ' acl=' || " + acl("t", "typacl", "typowner", "T")
                        + " || ' labels=' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')"
                        + " || ' base=' || CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) || ' notnull=' || t.typnotnull ELSE '' END"
                        + " || ' range=' || coalesce((SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid), '')"
                        + " || ' comment=' || coalesce(obj_description(t.oid, 'pg_type'), '')"
                        + " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r', 'c') AND " + USER_NS
                        + " AND " + NOT_EXT.formatted("t.oid")
                        + " AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')",
                // sequences' parameters
                "SELECT 'sequence ' || n.nspname || '.' || c.relname, format_type(s.seqtypid, NULL) || ' start=' || s.seqstart || ' increment=' || s.seqincrement"
                        + " || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cache=' || s.seqcache || ' cycle=' || s.seqcycle"
                        + " FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace",
                // publications
                "SELECT 'publication ' || p.pubname, 'owner=' || pg_get_userbyid(p.pubowner) || ' all=' || p.puballtables"
                        + " || ' actions=' || p.pubinsert || p.pubupdate || p.pubdelete || p.pubtruncate"
                        + " || ' tables=' || coalesce((SELECT string_agg(r.prrelid::regclass::text, ',' ORDER BY r.prrelid::regclass::text) FROM pg_publication_rel r WHERE r.prpubid = p.oid), '')"
                        + " FROM pg_publication p",
                // default privileges
                "SELECT 'default privileges ' || pg_get_userbyid(d.defaclrole) || ' in ' || coalesce(d.defaclnamespace::regnamespace::text, '-') || ' on ' || d.defaclobjtype::text,"
                        + " coalesce((SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || '=' || a.privilege_type || '/' || pg_get_userbyid(a.grantor), ',' ORDER BY CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || '=' || a.privilege_type || '/' || pg_get_userbyid(a.grantor)) FROM aclexplode(d.defaclacl) a), '')"
                        + " FROM pg_default_acl d",
                // rules other than views' own
                "SELECT 'rule ' || n.nspname || '.' || c.relname || '.' || r.rulename, pg_get_ruledef(r.oid)"
                        + " FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE r.rulename <> '_RETURN' AND " + USER_NS);
    }

    private CatalogSchema() {
    }

    static List<String> differences(Connection source, Connection destination, Map<String, String> mapped) throws SQLException {
        int from = major(source);
        int to = major(destination);
        List<String> out = new ArrayList<>();
        for (String q : queries(from >= 15)) {
            String sql = "SELECT k, string_agg(v, ' | ' ORDER BY v) FROM (" + q + ") x(k, v) GROUP BY k";
            out.addAll(IndependentChecker.compare("catalog",
                    across(IndependentChecker.mapRows(IndependentChecker.rows(source, sql), mapped), from, to, false),
                    across(IndependentChecker.rows(destination, sql), from, to, true)));
        }
        return out;
    }

    /**
     * What a newer server says differently of the same objects: from 16 on a view's definition
     * names columns without their table where that is unambiguous (so views are compared without
     * qualifiers when the majors differ), and 17 has the MAINTAIN privilege, which its owners
     * have by default and ALL includes.
     */
    private static Map<String, String> across(Map<String, String> rows, int from, int to, boolean destination) {
        Map<String, String> out = new java.util.TreeMap<>();
        rows.forEach((k, v) -> {
            String x = v;
            if (from == to) {
                out.put(k, sortedAcls(x));
                return;
            }
            int view = x.indexOf(" view=");
            int comment = x.lastIndexOf(" comment=");
            if (k.startsWith("relation ") && view >= 0 && comment > view) {
                x = x.substring(0, view) + x.substring(view, comment).replaceAll("(\"(?:[^\"]|\"\")+\"|\\b[a-z_][a-z0-9_$]*)\\.", "")
                        + x.substring(comment);
            }
            if (destination && from < 17 && to >= 17) {
                x = x.replaceAll(",[^,= ]+=MAINTAIN\\*?/[^, ]+", "").replaceAll("(?<=acl=)[^,= ]+=MAINTAIN\\*?/[^, ]+,?", "");
            }
            out.put(k, sortedAcls(x));
        });
        return out;
    }

    /** Each privilege list in its order (a mapped role's entries sort elsewhere than the source role's did). */
    private static String sortedAcls(String value) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(acl=|privileges=)([^ ]*)").matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            List<String> items = new ArrayList<>(List.of(m.group(2).split(",")));
            java.util.Collections.sort(items);
            m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(m.group(1) + String.join(",", items)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static int major(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}

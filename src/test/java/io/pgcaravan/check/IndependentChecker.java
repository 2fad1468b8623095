package io.pgcaravan.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A second opinion on a migration, written apart from the product (it imports nothing of
 * io.pgcaravan's main code): it reads both databases directly and compares everything a DBA
 * would check by hand. The schema as {@code pg_dump --schema-only} prints it (lines, normalised),
 * the database's catalog properties (encoding, locale, owner, ACL, comment, connection limit,
 * its settings and the per-role settings in it), every role the source database refers to (and
 * the roles those are members of) with attributes, password, comment, settings and memberships,
 * every table's rows (an order-independent digest of each row's text), every sequence's state
 * and every large object (owner, ACL, comment, content).
 */
public final class IndependentChecker {

    /** One side of the comparison: a database on a server the checker may log in to as a superuser. */
    public record Side(int port, String user, String password, String database) {
    }

    /**
     * What the checker is told may differ, like the product's allow-list: the roles the
     * destination had before (its administrator: a migration leaves existing roles as they are),
     * and the SUPERUSER rewrite for a managed flavour.
     */
    public record Allow(Set<String> destinationsOwnRoles, boolean rolesRewrittenForFlavour, Map<String, String> mappedRoles) {
        public Allow(Set<String> destinationsOwnRoles, boolean rolesRewrittenForFlavour) {
            this(destinationsOwnRoles, rolesRewrittenForFlavour, Map.of());
        }

        public static Allow own(String... roles) {
            return new Allow(Set.of(roles), false);
        }

        /**
         * A managed destination: its own roles (the provider's, the master users), and the source
         * roles a documented mapping turns into others (what they own or were granted is the
         * other's), compared as the other.
         */
        public static Allow managed(Map<String, String> mapped, String... own) {
            return new Allow(Set.of(own), true, Map.copyOf(mapped));
        }
    }

    private IndependentChecker() {
    }


    public static List<String> differences(Side source, Side destination, Allow allow) throws Exception {
        List<String> out = new ArrayList<>();
        boolean dumpable = pgDumpMajor() >= Math.max(serverMajor(source), serverMajor(destination));
        if (dumpable) {
            out.addAll(schema(source, destination, allow.mappedRoles()));
        }
        try (Connection s = connect(source); Connection d = connect(destination)) {
            for (Connection c : List.of(s, d)) {
                try (Statement st = c.createStatement()) {
                    st.execute("SET search_path = pg_catalog; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; "
                            + "SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'");
                }
            }
            Map<String, String> mapped = allow.mappedRoles();
            if (!dumpable) {
                // the machine's pg_dump cannot read one of the servers: the schema from the catalogs
                out.addAll(CatalogSchema.differences(s, d, mapped));
            }
            out.addAll(compare("database", mapRows(rows(s, DATABASE), mapped), rows(d, DATABASE)));
            out.addAll(compare("database setting", mapRows(rows(s, DATABASE_SETTINGS), mapped), rows(d, DATABASE_SETTINGS)));
            out.addAll(roles(s, d, allow));
            out.addAll(compare("table rows", tableDigests(s), tableDigests(d)));
            out.addAll(compare("sequence", sequences(s), sequences(d)));
            out.addAll(compare("large object", mapRows(rows(s, LARGE_OBJECTS), mapped), rows(d, LARGE_OBJECTS)));
        }
        return out;
    }

    // ---- schema: pg_dump --schema-only of both, as multisets of lines ----

    private static List<String> schema(Side source, Side destination, Map<String, String> mapped) throws Exception {
        List<String> a = schemaLines(source).stream().map(l -> mapLine(l, mapped)).sorted().toList();
        List<String> b = schemaLines(destination);
        if (serverMajor(source) < 14 && serverMajor(destination) >= 14) {
            // a range type gets the multirange PostgreSQL 14 and later give every range type: its
            // name is one more line of the CREATE TYPE, and the line before it ends with a comma
            b = b.stream().filter(l -> !l.strip().startsWith("multirange_type_name = ")).map(l -> l.endsWith(",")
                    && a.contains(l.substring(0, l.length() - 1)) && !a.contains(l) ? l.substring(0, l.length() - 1) : l).sorted().toList();
        }
        List<String> out = new ArrayList<>();
        List<String> onlyA = minus(a, b);
        List<String> onlyB = minus(b, a);
        onlyA.forEach(l -> out.add("schema: only on the source: " + l));
        onlyB.forEach(l -> out.add("schema: only on the destination: " + l));
        return out;
    }

    private static List<String> schemaLines(Side side) throws IOException, InterruptedException {
        Path pass = Files.createTempFile("checker", ".pgpass");
        Path file = Files.createTempFile("checker", ".sql");
        try {
            Files.writeString(pass, "*:*:*:*:" + side.password().replace("\\", "\\\\").replace(":", "\\:") + "\n");
            pass.toFile().setReadable(false, false);
            pass.toFile().setReadable(true, true);
            ProcessBuilder pb = new ProcessBuilder(pgDump(), "--schema-only", "--no-tablespaces", "--host=127.0.0.1",
                    "--port=" + side.port(), "--username=" + side.user(), "--no-password", "--file=" + file, side.database())
                    .redirectErrorStream(true);
            pb.environment().put("PGPASSFILE", pass.toString());
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("pg_dump of " + side.database() + " failed: " + output);
            }
            List<String> lines = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank() || line.startsWith("--") || line.startsWith("\\restrict") || line.startsWith("\\unrestrict")) {
                    continue;
                }
                lines.add(line);
            }
            Collections.sort(lines);
            return lines;
        } finally {
            Files.deleteIfExists(pass);
            Files.deleteIfExists(file);
        }
    }

    private static int serverMajor(Side side) throws SQLException {
        try (Connection c = connect(side); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int pgDumpMajor() {
        String path = pgDump();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("/postgresql/(\\d+)/bin/").matcher(path);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** The newest pg_dump the machine has (it reads every older server). */
    private static String pgDump() {
        Path root = Path.of("/usr/lib/postgresql");
        try (var majors = Files.list(root)) {
            return majors.filter(m -> Files.isExecutable(m.resolve("bin/pg_dump")))
                    .max((x, y) -> Integer.compare(Integer.parseInt(x.getFileName().toString()), Integer.parseInt(y.getFileName().toString())))
                    .map(m -> m.resolve("bin/pg_dump").toString()).orElse("pg_dump");
        } catch (IOException e) {
            return "pg_dump";
        }
    }

    // ---- the database's own properties ----

    private static final String DATABASE = """
            SELECT 'properties' AS k,
                   pg_encoding_to_char(d.encoding) || ' collate=' || d.datcollate || ' ctype=' || d.datctype
                   || ' owner=' || pg_get_userbyid(d.datdba) || ' connlimit=' || d.datconnlimit
                   || ' allowconn=' || d.datallowconn || ' template=' || d.datistemplate AS v
              FROM pg_database d WHERE d.datname = current_database()
            UNION ALL
            SELECT 'comment', coalesce(shobj_description(d.oid, 'pg_database'), '<none>')
              FROM pg_database d WHERE d.datname = current_database()
            UNION ALL
            SELECT 'privilege ' || CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ' ' || a.privilege_type,
                   'granted by ' || pg_get_userbyid(a.grantor) || CASE WHEN a.is_grantable THEN ' with grant option' ELSE '' END
              FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
             WHERE d.datname = current_database()
            UNION ALL
            SELECT 'security label ' || l.provider, l.label
              FROM pg_shseclabel l JOIN pg_database d ON d.oid = l.objoid AND l.classoid = 'pg_database'::regclass
             WHERE d.datname = current_database()
            """;

    private static final String DATABASE_SETTINGS = """
            SELECT coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '<every role>') || ': ' || c AS k, 'set' AS v
              FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
             WHERE d.datname = current_database()
            """;

    // ---- roles ----

    /** The roles the database refers to: owners, grantees and grantors, policy roles, default-privilege and setting roles. */
    private static final String REFERENCED_ROLES = """
            WITH RECURSIVE refs(r) AS (
                SELECT datdba FROM pg_database WHERE datname = current_database()
                UNION SELECT relowner FROM pg_class WHERE oid >= 16384
                UNION SELECT nspowner FROM pg_namespace WHERE oid >= 16384 OR nspname = 'public'
                UNION SELECT proowner FROM pg_proc WHERE oid >= 16384
                UNION SELECT typowner FROM pg_type WHERE oid >= 16384
                UNION SELECT lomowner FROM pg_largeobject_metadata
                UNION SELECT pubowner FROM pg_publication
                UNION SELECT defaclrole FROM pg_default_acl
                UNION SELECT unnest(polroles) FROM pg_policy
                UNION SELECT setrole FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()
                UNION SELECT (aclexplode(relacl)).grantee FROM pg_class WHERE oid >= 16384
                UNION SELECT (aclexplode(relacl)).grantor FROM pg_class WHERE oid >= 16384
                UNION SELECT (aclexplode(attacl)).grantee FROM pg_attribute WHERE attrelid >= 16384
                UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE oid >= 16384 OR nspname = 'public'
                UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc WHERE oid >= 16384
                UNION SELECT (aclexplode(typacl)).grantee FROM pg_type WHERE oid >= 16384
                UNION SELECT (aclexplode(lomacl)).grantee FROM pg_largeobject_metadata
                UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
                UNION SELECT (aclexplode(datacl)).grantee FROM pg_database WHERE datname = current_database()
            ), closure(r) AS (
                SELECT r FROM refs WHERE r <> 0
                UNION SELECT m.roleid FROM pg_auth_members m JOIN closure c ON c.r = m.member
            )
            SELECT rolname FROM pg_roles WHERE oid IN (SELECT r FROM closure) AND rolname NOT LIKE 'pg\\_%' ORDER BY 1
            """;

    private static final String ROLE = """
            SELECT 'attributes' AS k, 'super=' || r.rolsuper || ' inherit=' || r.rolinherit || ' createrole=' || r.rolcreaterole
                   || ' createdb=' || r.rolcreatedb || ' login=' || r.rolcanlogin || ' replication=' || r.rolreplication
                   || ' bypassrls=' || r.rolbypassrls || ' connlimit=' || r.rolconnlimit
                   || ' validuntil=' || coalesce(r.rolvaliduntil::text, 'never') AS v
              FROM pg_roles r WHERE r.rolname = ?
            UNION ALL SELECT 'password', coalesce(a.rolpassword, '<none>') FROM pg_authid a WHERE a.rolname = ?
            UNION ALL SELECT 'comment', coalesce(shobj_description(r.oid, 'pg_authid'), '<none>') FROM pg_roles r WHERE r.rolname = ?
            UNION ALL SELECT 'setting ' || c, 'set' FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole,
                   unnest(s.setconfig) c WHERE s.setdatabase = 0 AND r.rolname = ?
            UNION ALL SELECT 'member of ' || g.rolname, CASE WHEN m.admin_option THEN 'with admin option' ELSE 'plain' END
              FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = ?
            """;

    private static List<String> roles(Connection s, Connection d, Allow allow) throws SQLException {
        List<String> out = new ArrayList<>();
        for (String role : column(s, REFERENCED_ROLES)) {
            if (allow.destinationsOwnRoles().contains(role) || allow.mappedRoles().containsKey(role)) {
                continue;
            }
            Map<String, String> expected = mapRows(roleRows(s, role), allow.mappedRoles());
            Map<String, String> found = roleRows(d, role);
            if (found.isEmpty()) {
                out.add("role " + role + ": missing on the destination");
                continue;
            }
            if (allow.rolesRewrittenForFlavour()) {
                // SUPERUSER becomes membership in the flavour's superuser role; REPLICATION and
                // BYPASSRLS are not granted there (documented, and warned about in the run)
                expected.computeIfPresent("attributes", (k, v) -> v.replace("super=true", "super=false")
                        .replace("replication=true", "replication=false").replace("bypassrls=true", "bypassrls=false"));
                found.keySet().removeIf(k -> k.startsWith("member of rds_superuser") || k.startsWith("member of polar_superuser"));
            }
            out.addAll(compare("role " + role, expected, found));
        }
        return out;
    }

    private static Map<String, String> roleRows(Connection c, String role) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (var ps = c.prepareStatement(ROLE)) {
            for (int i = 1; i <= 5; i++) {
                ps.setString(i, role);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    // ---- rows, sequences, large objects ----

    private static final String TABLES = """
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'm') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
               AND (c.relkind <> 'm' OR c.relispopulated)
             ORDER BY 1
            """;

    private static Map<String, String> tableDigests(Connection c) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        for (String table : column(c, TABLES)) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT count(*) || ' rows, digest ' || md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "
                            + "FROM ONLY " + table + " t")) {
                rs.next();
                out.put(table, rs.getString(1));
            }
        }
        return out;
    }

    private static Map<String, String> sequences(Connection c) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        for (String seq : column(c, "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences ORDER BY 1")) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT last_value || ' called=' || is_called FROM " + seq)) {
                rs.next();
                out.put(seq, rs.getString(1));
            }
        }
        return out;
    }

    private static final String LARGE_OBJECTS = """
            SELECT m.oid::text AS k, 'owner=' || pg_get_userbyid(m.lomowner) || ' acl=' || coalesce(m.lomacl::text, 'default')
                   || ' comment=' || coalesce(obj_description(m.oid, 'pg_largeobject'), '<none>') || ' md5=' || md5(lo_get(m.oid)) AS v
              FROM pg_largeobject_metadata m
            """;

    // ---- mapped roles ----

    /** Statements that name roles: owners, grants, revokes, default privileges, grantor chains. */
    private static final java.util.regex.Pattern ROLE_STATEMENT = java.util.regex.Pattern.compile(
            "^(ALTER .* OWNER TO |GRANT |REVOKE |ALTER DEFAULT PRIVILEGES |SET SESSION AUTHORIZATION |ALTER ROLE ).*");

    /** A source line with each mapped role named as its destination role, in the statements that name roles. */
    static String mapLine(String line, Map<String, String> mapped) {
        return mapped.isEmpty() || !ROLE_STATEMENT.matcher(line).matches() ? line : mapWords(line, mapped);
    }

    /** Every whole-word occurrence of a mapped role (not part of a qualified name, a call or a longer word) replaced. */
    static String mapWords(String text, Map<String, String> mapped) {
        String out = text;
        for (Map.Entry<String, String> e : mapped.entrySet()) {
            out = out.replaceAll("(?<![\\w.$\"])" + java.util.regex.Pattern.quote(e.getKey()) + "(?![\\w.$\"(])",
                    java.util.regex.Matcher.quoteReplacement(e.getValue()));
        }
        return out;
    }

    static Map<String, String> mapRows(Map<String, String> rows, Map<String, String> mapped) {
        if (mapped.isEmpty()) {
            return rows;
        }
        Map<String, String> out = new TreeMap<>();
        rows.forEach((k, v) -> out.merge(mapWords(k, mapped), mapWords(v, mapped), (a, b) -> a + " | " + b));
        return out;
    }

    // ---- helpers ----

    private static Connection connect(Side side) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", side.user());
        p.setProperty("password", side.password());
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + side.port() + "/" + side.database(), p);
    }

    /** A query's (k, v) rows as a map; keys that repeat get their values joined. */
    static Map<String, String> rows(Connection c, String sql) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            if (md.getColumnCount() != 2) {
                throw new IllegalArgumentException("a (k, v) query: " + sql);
            }
            while (rs.next()) {
                out.merge(rs.getString(1), String.valueOf(rs.getString(2)), (a, b) -> a + " | " + b);
            }
        }
        return out;
    }

    private static List<String> column(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static List<String> compare(String what, Map<String, String> expected, Map<String, String> found) {
        List<String> out = new ArrayList<>();
        Set<String> keys = new TreeSet<>(expected.keySet());
        keys.addAll(found.keySet());
        for (String k : keys) {
            String e = expected.get(k);
            String f = found.get(k);
            if (!Objects.equals(e, f)) {
                out.add(what + " " + k + ": source " + (e == null ? "<none>" : e) + ", destination " + (f == null ? "<none>" : f));
            }
        }
        return out;
    }

    private static List<String> minus(List<String> a, List<String> b) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        b.forEach(l -> counts.merge(l, 1, Integer::sum));
        List<String> out = new ArrayList<>();
        for (String l : a) {
            Integer n = counts.get(l);
            if (n == null || n == 0) {
                out.add(l);
            } else {
                counts.put(l, n - 1);
            }
        }
        return out;
    }
}

package io.pgcaravan.delivery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which source roles become which destination roles. A managed destination cannot have the
 * source's superusers (nobody but the provider is SUPERUSER there, and its master user may have
 * another name), so by default, when the destination's login is not a superuser, every superuser
 * of the source maps to that login: what they owned, granted or were granted on the source, the
 * login owns, grants and is granted. {@code roles.map.<source-role>=<destination-role>} adds to
 * that or overrides it ({@code roles.map.x=x} keeps a superuser as itself, made a member of the
 * flavour's superuser role). A mapped role is not created on the destination.
 *
 * <p>The renaming works on the statements pg_dump writes (owners, grants, revokes, default
 * privileges, grantor chains), at the places those statements name roles, never inside quoted
 * text or object names.
 */
public final class RoleMap {

    private final Map<String, String> mapping;

    private RoleMap(Map<String, String> mapping) {
        this.mapping = Map.copyOf(mapping);
    }

    public static RoleMap none() {
        return new RoleMap(Map.of());
    }

    /**
     * @param configured       roles.map of the job
     * @param sourceSuperusers the source's superusers (the manifest has them), null if unknown
     * @param login            the destination's login user
     * @param loginIsSuperuser whether that login is a superuser (then nothing maps by default)
     */
    public static RoleMap of(Map<String, String> configured, Collection<String> sourceSuperusers, String login, boolean loginIsSuperuser) {
        return of(configured, sourceSuperusers, null, login, loginIsSuperuser, null);
    }

    /**
     * As above; and with a superuser login, the source's bootstrap superuser (OID 10, which never
     * travels: every server has its own) is the destination's, when their names differ.
     */
    public static RoleMap of(Map<String, String> configured, Collection<String> sourceSuperusers, String sourceBootstrap,
                             String login, boolean loginIsSuperuser, String destinationBootstrap) {
        Map<String, String> m = new TreeMap<>();
        if (!loginIsSuperuser && sourceSuperusers != null) {
            sourceSuperusers.forEach(s -> m.put(s, login));
        } else if (sourceBootstrap != null && destinationBootstrap != null) {
            m.put(sourceBootstrap, destinationBootstrap);
        }
        m.putAll(configured);
        m.entrySet().removeIf(e -> e.getKey().equals(e.getValue()));
        return new RoleMap(m);
    }

    /** {@link #of} for the login of a destination connection. */
    public static RoleMap of(Map<String, String> configured, Collection<String> sourceSuperusers, String sourceBootstrap,
                             java.sql.Connection destination) throws java.sql.SQLException {
        try (var st = destination.createStatement();
             var rs = st.executeQuery("SELECT current_user, rolsuper, (SELECT rolname FROM pg_roles WHERE oid = 10) "
                     + "FROM pg_roles WHERE rolname = current_user")) {
            rs.next();
            return of(configured, sourceSuperusers, sourceBootstrap, rs.getString(1), rs.getBoolean(2), rs.getString(3));
        }
    }

    /**
     * The statement as the destination's login runs it: roles mapped, and a grantor chain's
     * {@code SET SESSION AUTHORIZATION} (superusers only) as {@code SET ROLE}, which a member of
     * the grantor may use and which records the same grantor.
     */
    public String runnable(String statement) {
        String s = renamed(statement);
        if (s.startsWith("SET SESSION AUTHORIZATION ")) {
            return "SET ROLE " + s.substring("SET SESSION AUTHORIZATION ".length());
        }
        return s.equals("RESET SESSION AUTHORIZATION") ? "RESET ROLE" : s;
    }

    /** The role on the destination for a source role. */
    public String to(String role) {
        return mapping.getOrDefault(role, role);
    }

    /** Whether the role is mapped to another: it is not created on the destination. */
    public boolean maps(String role) {
        return mapping.containsKey(role);
    }

    public boolean isEmpty() {
        return mapping.isEmpty();
    }

    public Map<String, String> mapping() {
        return mapping;
    }

    /** "a → b, c → b", for details and reports. */
    public String describe() {
        List<String> out = new ArrayList<>();
        new TreeMap<>(mapping).forEach((k, v) -> out.add(k + " → " + v));
        return String.join(", ", out);
    }

    // ---- statements ----

    /** Words after which pg_dump's statements name roles (as a list, in GRANT and REVOKE). */
    private static final Set<String> LIST_AFTER = Set.of("TO", "FROM");
    /** Role specifications that are not role names. */
    private static final Set<String> NOT_ROLES = Set.of("PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE");

    /**
     * The statement with each role it names mapped: the owner of {@code ALTER ... OWNER TO}, the
     * grantees of GRANT and REVOKE (with {@code GRANTED BY}), the role of {@code ALTER DEFAULT
     * PRIVILEGES FOR ROLE}, {@code SET SESSION AUTHORIZATION} and {@code SET ROLE}, and the role of
     * {@code ALTER ROLE ... IN DATABASE}. Other statements are returned as they are.
     */
    public String renamed(String statement) {
        return mapping.isEmpty() ? statement : rewrite(statement, this::to, new LinkedHashSet<>());
    }

    /**
     * The roles a statement acts as or makes owners: who must be able to SET ROLE to them (the
     * new owner of {@code OWNER TO}, a grantor chain's role, a default-privilege role).
     */
    public static Set<String> actingRoles(String statement) {
        Set<String> acting = new LinkedHashSet<>();
        rewrite(statement, r -> r, acting);
        return acting;
    }

    private static String rewrite(String statement, java.util.function.UnaryOperator<String> map, Set<String> acting) {
        List<Token> tokens = Token.split(statement);
        String first = word(tokens, 0);
        String second = word(tokens, 1);
        StringBuilder out = new StringBuilder(statement.length() + 16);
        boolean grantOrRevoke = first.equals("GRANT") || first.equals("REVOKE")
                || (first.equals("ALTER") && second.equals("DEFAULT"));
        boolean inList = false;
        int depth = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            String text = t.text();
            String upper = t.word() ? text.toUpperCase(Locale.ROOT) : "";
            boolean role = false;
            boolean actingRole = false;
            if (t.text().equals("(")) {
                depth++;
            } else if (t.text().equals(")")) {
                depth--;
            }
            if (t.ident() && depth == 0) {
                String prev = previousWord(tokens, i, 1);
                String prev2 = previousWord(tokens, i, 2);
                if (prev.equals("TO") && prev2.equals("OWNER") && first.equals("ALTER")) {
                    role = true;
                    actingRole = true;
                } else if (prev.equals("ROLE") && prev2.equals("FOR") && grantOrRevoke) {
                    role = true;
                    actingRole = true;
                } else if (prev.equals("BY") && prev2.equals("GRANTED") && grantOrRevoke) {
                    role = true;
                } else if (first.equals("SET") && (prev.equals("AUTHORIZATION") && prev2.equals("SESSION") || prev.equals("ROLE") && i == 4)) {
                    role = true;
                    actingRole = true;
                } else if (first.equals("ALTER") && second.equals("ROLE") && i == 4 && "IN".equals(word(tokens, 3))) {
                    role = true;
                } else if (grantOrRevoke && (inList && prev.equals(",") || LIST_AFTER.contains(prev))) {
                    // a grantee list: TO a, b, PUBLIC [WITH GRANT OPTION | GRANTED BY c | CASCADE]
                    role = !NOT_ROLES.contains(upper);
                    inList = true;
                } else {
                    inList = false;
                }
            } else if (!t.space() && !t.text().equals(",")) {
                inList = false;
            }
            if (role) {
                String name = t.name();
                String to = map.apply(name);
                if (actingRole) {
                    acting.add(to);
                }
                out.append(to.equals(name) ? text : pgDumpIdent(to));
            } else {
                out.append(text);
            }
        }
        return out.toString();
    }

    /** The n-th word token (0-based, white space skipped), upper case; "" if none. */
    private static String word(List<Token> tokens, int n) {
        int seen = 0;
        for (Token t : tokens) {
            if (t.space()) {
                continue;
            }
            if (seen++ == n) {
                return t.word() ? t.text().toUpperCase(Locale.ROOT) : t.text();
            }
        }
        return "";
    }

    private static String previousWord(List<Token> tokens, int i, int back) {
        int seen = 0;
        for (int j = i - 1; j >= 0; j--) {
            Token t = tokens.get(j);
            if (t.space()) {
                continue;
            }
            if (++seen == back) {
                return t.word() ? t.text().toUpperCase(Locale.ROOT) : t.text();
            }
        }
        return "";
    }

    /** A role name as pg_dump prints it: bare if it is a plain lower-case name and no key word, quoted otherwise. */
    public static String pgDumpIdent(String name) {
        return name.matches("[a-z_][a-z0-9_]*") && !SqlKeywords.QUOTED.contains(name) ? name
                : "\"" + name.replace("\"", "\"\"") + "\"";
    }
}

package io.pgcaravan.stage.verify;

import io.pgcaravan.delivery.RolesFile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The roles this run created, as it created them (its role statements, rewritten for the
 * destination's flavour) against what the destination has now ({@code pg_dumpall --roles-only
 * --no-role-passwords} of it): attributes, settings, comments and memberships of each. Password
 * hashes are not compared: a managed destination lets nobody read them. Roles the destination
 * had before the run were left as they were, and are listed as allowed.
 */
public final class RoleComparison {

    /** Attribute words and the default each pair has (CREATE ROLE without options). */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        for (String[] pair : new String[][]{{"SUPERUSER", "NOSUPERUSER"}, {"INHERIT", "INHERIT"}, {"CREATEROLE", "NOCREATEROLE"},
                {"CREATEDB", "NOCREATEDB"}, {"LOGIN", "NOLOGIN"}, {"REPLICATION", "NOREPLICATION"}, {"BYPASSRLS", "NOBYPASSRLS"}}) {
            DEFAULTS.put(pair[0], pair[1]);
        }
    }

    private static final Pattern ATTRIBUTE = Pattern.compile(
            "(CONNECTION LIMIT -?\\d+|VALID UNTIL '(?:[^']|'')*'|PASSWORD '(?:[^']|'')*'|PASSWORD NULL|[A-Z]+)");

    private RoleComparison() {
    }

    /**
     * @param applied  the statements the run ran for its roles (passwords masked or not: not compared)
     * @param created  the roles the run created
     * @param kept     the roles the destination had already
     * @param found    pg_dumpall --roles-only of the destination
     */
    public static Verification.RoleCheck compare(List<String> applied, List<String> created, List<String> kept, String found) {
        Map<String, Set<String>> expected = facts(applied);
        Map<String, Set<String>> there = facts(List.of(found.split("\n")));
        List<Verification.SchemaDifference> differences = new ArrayList<>();
        for (String role : created) {
            Set<String> e = expected.getOrDefault(role, Set.of());
            Set<String> f = there.get(role);
            if (f == null) {
                differences.add(new Verification.SchemaDifference("ROLE " + role, "missing on the destination", null, null));
                continue;
            }
            for (String fact : e) {
                if (!f.contains(fact)) {
                    differences.add(new Verification.SchemaDifference("ROLE " + role, "attribute", fact, null));
                }
            }
            for (String fact : f) {
                if (!e.contains(fact)) {
                    differences.add(new Verification.SchemaDifference("ROLE " + role, "attribute", null, fact));
                }
            }
        }
        return new Verification.RoleCheck(created.size(), differences, kept, null);
    }

    /** Each role's facts: its attributes (all of them, defaults made explicit), settings, comment, memberships. */
    static Map<String, Set<String>> facts(List<String> statements) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String line : statements) {
            String sql = line.strip();
            Matcher m;
            if ((m = RolesFile.CREATE.matcher(sql)).matches()) {
                Set<String> f = out.computeIfAbsent(RolesFile.name(m.group(1)), k -> new TreeSet<>());
                f.addAll(DEFAULTS.values());
                f.add("CONNECTION LIMIT -1");
            } else if ((m = RolesFile.ALTER_WITH.matcher(sql)).matches()) {
                Set<String> f = out.computeIfAbsent(RolesFile.name(m.group(1)), k -> new TreeSet<>());
                Matcher a = ATTRIBUTE.matcher(m.group(2));
                while (a.find()) {
                    attribute(f, a.group(1));
                }
            } else if ((m = RolesFile.ALTER_OTHER.matcher(sql)).matches() || (m = RolesFile.ROLE_COMMENT.matcher(sql)).matches()) {
                out.computeIfAbsent(RolesFile.name(m.group(1)), k -> new TreeSet<>()).add(sql.replaceFirst(";$", ""));
            } else if ((m = RolesFile.GRANT.matcher(sql)).matches()) {
                String options = m.group(3).strip();
                out.computeIfAbsent(RolesFile.name(m.group(2)), k -> new TreeSet<>())
                        .add("member of " + RolesFile.name(m.group(1)) + (options.isEmpty() ? "" : " " + options));
            }
        }
        return out;
    }

    private static void attribute(Set<String> facts, String attribute) {
        if (attribute.startsWith("PASSWORD")) {
            return;
        }
        if (attribute.startsWith("CONNECTION LIMIT")) {
            facts.removeIf(f -> f.startsWith("CONNECTION LIMIT"));
            facts.add(attribute);
            return;
        }
        if (attribute.startsWith("VALID UNTIL")) {
            facts.add(attribute);
            return;
        }
        String positive = attribute.startsWith("NO") && DEFAULTS.containsKey(attribute.substring(2)) ? attribute.substring(2) : attribute;
        if (DEFAULTS.containsKey(positive)) {
            facts.remove(positive);
            facts.remove("NO" + positive);
            facts.add(attribute);
        }
    }
}

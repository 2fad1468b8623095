package io.pgcaravan.stage.prepare;

import io.pgcaravan.delivery.RoleMap;
import io.pgcaravan.delivery.RolesFile;
import io.pgcaravan.delivery.SqlScript;
import io.pgcaravan.config.JobConfig.Flavour;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The roles of {@code pg_dumpall --roles-only}, rewritten for the destination as the guides do by
 * hand: on RDS and PolarDB, SUPERUSER becomes membership in rds_superuser / polar_superuser, and
 * attributes those services do not grant (REPLICATION, BYPASSRLS) are dropped with a warning.
 * Roles that already exist on the destination are left as they are; only roles this script
 * creates get their attributes, settings and memberships.
 */
public final class RoleScript {

    /** One statement to run, and how it may be shown (password hashes masked). */
    public record Statement(String sql) {
        public String shown() {
            return PASSWORD.matcher(sql).replaceAll("PASSWORD '***'");
        }
    }

    /** The statements to run, the roles they create, and what was changed or left out, for the report. */
    public record Rewritten(List<Statement> statements, List<String> created, List<String> kept, List<String> warnings) {
    }

    static final Pattern PASSWORD = Pattern.compile("PASSWORD\\s+'(?:[^']|'')*'", Pattern.CASE_INSENSITIVE);
    private static final Pattern CREATE = RolesFile.CREATE;
    private static final Pattern ALTER_WITH = RolesFile.ALTER_WITH;
    private static final Pattern ALTER_OTHER = RolesFile.ALTER_OTHER;
    private static final Pattern GRANT = RolesFile.GRANT;
    private static final Pattern ROLE_COMMENT = RolesFile.ROLE_COMMENT;
    /** Attribute words of ALTER ROLE ... WITH, with their argument where they take one. */
    private static final Pattern ATTRIBUTE = Pattern.compile(
            "(CONNECTION LIMIT -?\\d+|VALID UNTIL '(?:[^']|'')*'|PASSWORD '(?:[^']|'')*'|PASSWORD NULL|[A-Z]+)");

    private RoleScript() {
    }

    /** The role a managed flavour has in place of SUPERUSER (null for plain PostgreSQL). */
    public static String superuserRole(Flavour flavour) {
        return switch (flavour) {
            case RDS -> "rds_superuser";
            case POLARDB -> "polar_superuser";
            case POSTGRES -> null;
        };
    }

    /**
     * @param script    what pg_dumpall --roles-only wrote
     * @param existing  roles the destination already has (never recreated or altered)
     */
    public static Rewritten rewrite(String script, Flavour flavour, Set<String> existing) {
        return rewrite(script, flavour, existing, RoleMap.none());
    }

    /** {@link #rewrite(String, Flavour, Set)} without the roles the map turns into others (they are not created). */
    public static Rewritten rewrite(String script, Flavour flavour, Set<String> existing, RoleMap map) {
        String managed = superuserRole(flavour);
        List<Statement> out = new ArrayList<>();
        Set<String> created = new LinkedHashSet<>();
        Set<String> kept = new LinkedHashSet<>();
        List<String> warnings = new ArrayList<>();
        for (String line : script.split("\n")) {
            String sql = line.strip();
            if (sql.isEmpty() || sql.startsWith("--") || sql.startsWith("SET ") || sql.startsWith("\\")) {
                continue;
            }
            if (!oneStatement(sql)) {
                // roles.sql came through the drop directory: a line is one statement, as pg_dumpall writes it
                warnings.add("left out a line that is not one statement: " + new Statement(sql).shown());
                continue;
            }
            Matcher m;
            if ((m = CREATE.matcher(sql)).matches()) {
                String role = name(m.group(1));
                if (map.maps(role)) {
                    warnings.add(role + ": not created; what it owns, grants or was granted goes to " + map.to(role) + " (mapped: by roles.map, or as a superuser of the source on a destination whose login is none)");
                } else if (existing.contains(role)) {
                    kept.add(role);
                } else {
                    created.add(role);
                    out.add(new Statement(sql));
                }
            } else if ((m = ALTER_WITH.matcher(sql)).matches()) {
                String role = name(m.group(1));
                if (created.contains(role)) {
                    out.addAll(alter(m.group(1), role, m.group(2), managed, warnings));
                }
            } else if ((m = ALTER_OTHER.matcher(sql)).matches() || (m = ROLE_COMMENT.matcher(sql)).matches()) {
                if (created.contains(name(m.group(1)))) {
                    out.add(new Statement(sql));
                }
            } else if ((m = GRANT.matcher(sql)).matches()) {
                // memberships of roles this script creates; who granted them on the source does not carry over
                if (created.contains(name(m.group(2))) && map.maps(name(m.group(1)))) {
                    warnings.add(name(m.group(2)) + ": its membership in " + name(m.group(1)) + " left out (that role is mapped to "
                            + map.to(name(m.group(1))) + ")");
                } else if (created.contains(name(m.group(2)))) {
                    out.add(new Statement("GRANT " + m.group(1) + " TO " + m.group(2) + m.group(3) + ";"));
                }
            } else {
                warnings.add("left out a statement pg-caravan does not know: " + new Statement(sql).shown());
            }
        }
        if (!kept.isEmpty()) {
            warnings.add(kept.size() + " roles already exist on the destination and were left as they are: " + String.join(", ", kept));
        }
        return new Rewritten(out, List.copyOf(created), List.copyOf(kept), warnings);
    }

    private static List<Statement> alter(String ident, String role, String attributes, String managed, List<String> warnings) {
        List<String> keep = new ArrayList<>();
        List<Statement> extra = new ArrayList<>();
        Matcher a = ATTRIBUTE.matcher(attributes);
        while (a.find()) {
            String attr = a.group(1);
            String word = attr.split(" ")[0].toUpperCase(Locale.ROOT);
            if (managed != null) {
                switch (word) {
                    case "SUPERUSER" -> {
                        extra.add(new Statement("GRANT " + managed + " TO " + ident + ";"));
                        warnings.add(role + ": SUPERUSER became membership in " + managed);
                        continue;
                    }
                    case "REPLICATION", "BYPASSRLS" -> {
                        warnings.add(role + ": " + word + " dropped (not granted on this destination)");
                        continue;
                    }
                    case "NOSUPERUSER", "NOREPLICATION", "NOBYPASSRLS" -> {
                        continue; // the defaults; setting them explicitly needs superuser rights there
                    }
                    default -> {
                    }
                }
            }
            keep.add(attr);
        }
        List<Statement> out = new ArrayList<>();
        if (!keep.isEmpty()) {
            out.add(new Statement("ALTER ROLE " + ident + " WITH " + String.join(" ", keep) + ";"));
        }
        out.addAll(extra);
        return out;
    }

    private static boolean oneStatement(String line) {
        try {
            return SqlScript.statements(line).size() == 1;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String name(String ident) {
        return RolesFile.name(ident);
    }
}

package io.pgcaravan.delivery;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The format of roles.sql, as {@code pg_dumpall --roles-only} writes it: one statement a line,
 * each about one role (CREATE ROLE, ALTER ROLE, COMMENT ON / SECURITY LABEL ON ROLE) or a
 * membership (GRANT role TO member). Both halves read it: the export half keeps the roles a
 * database needs, the import half rewrites them for the destination.
 */
public final class RolesFile {

    public static final String IDENT = "(\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)";
    public static final Pattern CREATE = Pattern.compile("CREATE ROLE " + IDENT + ";");
    public static final Pattern ALTER_WITH = Pattern.compile("ALTER ROLE " + IDENT + " WITH (.*);");
    public static final Pattern ALTER_OTHER = Pattern.compile("ALTER ROLE " + IDENT + " (SET|IN DATABASE|RESET) .*;");
    public static final Pattern GRANT = Pattern.compile("GRANT " + IDENT + " TO " + IDENT + "(.*?)(?: GRANTED BY " + IDENT + ")?;");
    public static final Pattern ROLE_COMMENT = Pattern.compile("(?:COMMENT ON|SECURITY LABEL FOR \\S+ ON) ROLE " + IDENT + " .*;");

    /**
     * Header lines of roles.applied.sql, what the import half ran: the roles it created and the
     * roles it found (quoted identifiers, space-separated).
     */
    public static final String CREATED = "-- created: ";
    public static final String KEPT = "-- kept: ";

    /** The role names of a header line (quoted identifiers, space-separated). */
    public static List<String> names(String identifiers) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(IDENT).matcher(identifiers);
        while (m.find()) {
            out.add(name(m.group(1)));
        }
        return out;
    }

    /** The roles of a script that were kept and those that were left out. */
    public record Selected(String script, List<String> kept, List<String> leftOut) {
    }

    private RolesFile() {
    }

    /** A role name as the catalog has it: quotes removed (and doubled quotes undone), or as written. */
    public static String name(String ident) {
        return ident.startsWith("\"") ? ident.substring(1, ident.length() - 1).replace("\"\"", "\"") : ident;
    }

    /**
     * The script with only the statements about the given roles (a membership only if both its
     * role and its member are among them); everything else (comments, SET lines) as it was.
     */
    public static Selected select(String script, Set<String> roles) {
        StringBuilder out = new StringBuilder();
        List<String> kept = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        for (String line : script.split("\n", -1)) {
            String sql = line.strip();
            Matcher m;
            boolean keep = true;
            if ((m = CREATE.matcher(sql)).matches()) {
                String role = name(m.group(1));
                keep = roles.contains(role);
                (keep ? kept : leftOut).add(role);
            } else if ((m = ALTER_WITH.matcher(sql)).matches() || (m = ALTER_OTHER.matcher(sql)).matches()
                    || (m = ROLE_COMMENT.matcher(sql)).matches()) {
                keep = roles.contains(name(m.group(1)));
            } else if ((m = GRANT.matcher(sql)).matches()) {
                keep = roles.contains(name(m.group(1))) && roles.contains(name(m.group(2)));
            }
            if (keep) {
                out.append(line).append('\n');
            }
        }
        return new Selected(out.toString().replaceAll("\n+$", "\n"), kept, leftOut);
    }
}

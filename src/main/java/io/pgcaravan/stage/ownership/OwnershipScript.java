package io.pgcaravan.stage.ownership;

import io.pgcaravan.delivery.DatabaseEntries;
import io.pgcaravan.delivery.RoleMap;
import io.pgcaravan.delivery.SqlScript;
import io.pgcaravan.exec.ToolRuns;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.work.StageFailedException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The owners and privileges of a restore, given after its objects and data are in: the restore
 * itself runs with {@code --no-owner} and without the dump's ACL entries (everything it makes
 * is the login's while it loads), then this script gives every object the owner the dump says,
 * mapped for the destination (RoleMap), and grants the dump's privileges in the dump's order
 * (in transactions of a few hundred statements: see {@link #BATCH}). Doing it apart is what lets a login that is not a superuser restore:
 * pg_restore writes a grantor chain as {@code SET SESSION AUTHORIZATION}, which only superusers
 * may use, and cannot give an object to a role other than the one the dump names; here a chain
 * becomes {@code SET ROLE} and an owner the mapped one. It also orders what a parallel
 * restore would not: grants whose grantor needs an earlier grant run after it. The script is
 * kept in the run's work directory ({@value #FILE}) as it was run.
 */
public final class OwnershipScript {

    public static final String FILE = "ownership.sql";
    /** An entry's ALTER ... OWNER TO, as pg_restore writes it after the entry's definition. */
    private static final Pattern OWNER = Pattern.compile("^ALTER [A-Z ]+ \\S.* OWNER TO (\"(?:[^\"]|\"\")*\"|[a-z_][a-z0-9_$]*)$",
            Pattern.DOTALL);

    /** The statements, the roles the login must be able to act as for them, and how many of each kind. */
    public record Script(List<String> statements, Set<String> acting, int owners, int privileges) {
    }

    private OwnershipScript() {
    }

    /**
     * From the dump: the owners of its pre- and post-data entries, then the statements of the
     * privilege entries in {@code privilegesList} (none if null), each as the login runs it.
     */
    public static Script build(String pgRestore, Path dump, Path workDir, Path privilegesList, RoleMap map, boolean owners)
            throws IOException, InterruptedException {
        Path ownersScript = workDir.resolve(".ownership.owners.sql");
        Path privileges = workDir.resolve(".ownership.privileges.sql");
        try {
            List<String> first = new ArrayList<>();
            List<String> sequences = new ArrayList<>();
            if (owners) {
                ToolRuns.run(List.of(pgRestore, "--section=pre-data", "--section=post-data", "--no-tablespaces",
                        "--file=" + ownersScript, dump.toString()), 10);
                for (String s : SqlScript.statements(Files.readString(ownersScript, StandardCharsets.UTF_8))) {
                    if (OWNER.matcher(s).matches()) {
                        // a sequence a column owns changes owner with its table, and may not be given
                        // another before: the tables first
                        (s.startsWith("ALTER SEQUENCE ") ? sequences : first).add(map.runnable(s));
                    }
                }
            }
            first.addAll(sequences);
            int ownerCount = first.size();
            if (privilegesList != null) {
                ToolRuns.run(List.of(pgRestore, "--use-list=" + privilegesList, "--file=" + privileges, dump.toString()), 10);
                first.addAll(asOwners(Files.readString(privileges, StandardCharsets.UTF_8), map, owners));
            }
            Set<String> acting = new LinkedHashSet<>();
            first.forEach(s -> acting.addAll(RoleMap.actingRoles(s)));
            return new Script(List.copyOf(first), acting, ownerCount, first.size() - ownerCount);
        } finally {
            Files.deleteIfExists(ownersScript);
            Files.deleteIfExists(privileges);
        }
    }

    /** What a privilege entry may hold. */
    private static final Pattern PRIVILEGE_STATEMENT = Pattern.compile(
            "(GRANT |REVOKE |ALTER DEFAULT PRIVILEGES |SET SESSION AUTHORIZATION |RESET SESSION AUTHORIZATION$|SET ROLE |RESET ROLE$)");

    /** pg_restore's header of each entry: its owner is the last field but a tablespace. */
    private static final Pattern HEADER = Pattern.compile("^-- Name: .*; Type: .*?; Schema: .*?; Owner: (.*?)(?:; Tablespace: .*)?$");

    /**
     * The privilege entries' statements, each entry run as its object's owner: a superuser's GRANT
     * counts as the owner's, but a member's counts as whichever of its roles holds the grant
     * option first (a grantee WITH GRANT OPTION may come before the owner), so the grantor would
     * differ. A grantor chain inside an entry goes back to the owner where pg_dump's script goes
     * back to the session's user.
     */
    static List<String> asOwners(String script, RoleMap map, boolean owners) {
        List<String> out = new ArrayList<>();
        String owner = null;
        StringBuilder body = new StringBuilder();
        for (String line : (script + "\n-- Name: -; Type: -; Schema: -; Owner: \n").split("\n", -1)) {
            java.util.regex.Matcher m = HEADER.matcher(line);
            if (!m.matches()) {
                body.append(line).append('\n');
                continue;
            }
            List<String> statements = SqlScript.statements(body.toString()).stream().filter(x -> !DatabaseEntries.sessionSetting(x)).toList();
            body.setLength(0);
            if (!statements.isEmpty()) {
                // restore.no-owner: the login owns the object, and grants as itself
                String as = !owners || owner == null || owner.isEmpty() || owner.equals("-") ? null
                        : "SET ROLE " + PgConnections.ident(map.to(owner));
                if (as != null) {
                    out.add(as);
                }
                for (String st : statements) {
                    if (!PRIVILEGE_STATEMENT.matcher(st).lookingAt()) {
                        // an ACL entry holds grants, revokes and a grantor chain's role changes, nothing else
                        throw new IllegalStateException("the dump's privilege entries hold a statement that is no grant: "
                                + (st.length() > 120 ? st.substring(0, 120) + "..." : st));
                    }
                    String runnable = map.runnable(st);
                    out.add(as != null && runnable.equals("RESET ROLE") ? as : runnable);
                }
                if (as != null) {
                    out.add("RESET ROLE");
                }
            }
            owner = m.group(1);
        }
        return out;
    }

    /** Keeps the script as it is about to run, for whoever wants to see what was done. */
    public static void keep(Path workDir, Script script) throws IOException {
        StringBuilder sb = new StringBuilder("-- owners and privileges pg-caravan gave after the restore, in one transaction\n");
        sb.append("SELECT pg_catalog.set_config('search_path', '', false);\n");
        script.statements().forEach(s -> sb.append(s).append(";\n"));
        Files.writeString(workDir.resolve(FILE), sb, StandardCharsets.UTF_8);
    }

    /**
     * Each ALTER ... OWNER locks its table and the table's indexes until the transaction ends: a
     * schema of many thousand tables in one transaction would run out of the server's lock table
     * (max_locks_per_transaction), so the script commits every this many statements. Each of them
     * may run again (owners, grants and revokes come out the same), which is what a retry does.
     */
    static final int BATCH = 500;

    /** Runs it in transactions of {@link #BATCH} statements; a refusal names the statement and what would allow it. */
    public static void apply(Connection c, Script script, String login) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        String current = null;
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_catalog.set_config('search_path', '', false)");
            int n = 0;
            for (String s : script.statements()) {
                current = s;
                st.execute(s);
                if (++n % BATCH == 0) {
                    c.commit();
                }
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            if (e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"))) {
                throw e; // the server went away: a connection failure, retried as such
            }
            throw new StageFailedException("giving the restored objects their owners and privileges failed (the objects and data "
                    + "are in; a retry gives them all again): " + e.getMessage().strip() + " (in: "
                    + current + ")" + PermissionHints.hint(e, current, login));
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }
}

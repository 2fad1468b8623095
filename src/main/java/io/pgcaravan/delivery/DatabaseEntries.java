package io.pgcaravan.delivery;

import io.pgcaravan.exec.ToolRuns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a dump holds at the database level, as pg_dump wrote it: the database's comment, its ACL
 * (revokes from PUBLIC and grantor chains included), its security labels, and its properties
 * (every {@code ALTER DATABASE ... SET}, the connection limit, every
 * {@code ALTER ROLE ... IN DATABASE ... SET}). pg_restore prints these only with {@code --create},
 * which the restore cannot use (the destination database is created by the prepare stage, maybe
 * under another name), so they are read here and applied under the destination's name (by the
 * prepare stage, before the restore: pg_restore's sessions ignore them, see Restore): the
 * tool's own SQL, with its quoting of identifiers and list settings, rather than SQL re-derived
 * from the catalogs.
 */
public final class DatabaseEntries {

    /** The TOC lines of the database-level entries other than the DATABASE entry itself (the prepare stage creates the database). */
    private static final Pattern ENTRY = Pattern.compile("^\\d+; \\d+ \\d+ (DATABASE PROPERTIES - |(COMMENT|SECURITY LABEL|ACL) - DATABASE )");
    private static final Pattern ACL = Pattern.compile("^\\d+; \\d+ \\d+ ACL - ");
    private static final String ID = "(?:\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)";
    private static final String LITERAL = "'(?:[^']|'')*'";
    /**
     * The shapes of statement pg_dump writes into a database's entries; anything else (the dump
     * came through the drop directory) is refused, not run.
     */
    private static final List<Pattern> SHAPES = List.of(
            Pattern.compile("COMMENT ON DATABASE " + ID + " IS (" + LITERAL + "|NULL)", Pattern.DOTALL),
            Pattern.compile("SECURITY LABEL FOR " + ID + " ON DATABASE " + ID + " IS (" + LITERAL + "|NULL)", Pattern.DOTALL),
            Pattern.compile("ALTER DATABASE " + ID + " (SET " + ID + "(\\." + ID + ")? (TO|=) .+|RESET .+|CONNECTION LIMIT = -?\\d+"
                    + "|IS_TEMPLATE = (true|false)|ALLOW_CONNECTIONS = (true|false))", Pattern.DOTALL),
            Pattern.compile("ALTER ROLE " + ID + " IN DATABASE " + ID + " SET " + ID + "(\\." + ID + ")? (TO|=) .+", Pattern.DOTALL),
            Pattern.compile("(GRANT|REVOKE) (GRANT OPTION FOR )?[A-Z, ]+ ON DATABASE " + ID + " (TO|FROM) .+"),
            Pattern.compile("(SET SESSION AUTHORIZATION " + ID + "|RESET SESSION AUTHORIZATION|SET ROLE " + ID + "|RESET ROLE)"));

    private static final Pattern OWNER = Pattern.compile("^ALTER DATABASE (\"(?:[^\"]|\"\")*\"|\\S+) OWNER TO .*", Pattern.DOTALL);
    /**
     * pg_restore's own session settings at the top of each part of its script: for its session,
     * not the database's. (default_table_access_method is not one of them: pg_dump says a
     * table's access method with it, so the schema comparison keeps it.)
     */
    private static final Set<String> SESSION_SETTINGS = Set.of("statement_timeout", "lock_timeout",
            "idle_in_transaction_session_timeout", "transaction_timeout", "client_encoding", "standard_conforming_strings",
            "check_function_bodies", "xmloption", "client_min_messages", "row_security", "default_tablespace",
            "default_with_oids");

    private DatabaseEntries() {
    }

    /**
     * The dump's database-level statements, for the destination database (its name already
     * quoted as an identifier); {@code privileges} false leaves out the ACL (restore.no-owner).
     * Empty when the dump has none, as a dump of a selection of schemas or tables does not.
     */
    public static List<String> read(String pgRestore, Path dump, Path workDir, String sourceDatabase, String destinationIdent,
                                    boolean privileges) throws IOException, InterruptedException {
        Path list = workDir.resolve(".database.list");
        Path sql = workDir.resolve(".database.sql");
        try {
            // only a listing made with --create shows the database's entries
            ToolRuns.run(List.of(pgRestore, "--create", "--list", "--file=" + list, dump.toString()), 10);
            List<String> entries = Files.readAllLines(list, StandardCharsets.UTF_8).stream()
                    .filter(l -> ENTRY.matcher(l).find())
                    .filter(l -> privileges || !ACL.matcher(l).find())
                    .toList();
            if (entries.isEmpty()) {
                return List.of();
            }
            Files.write(list, entries, StandardCharsets.UTF_8);
            ToolRuns.run(List.of(pgRestore, "--create", "--use-list=" + list, "--file=" + sql, dump.toString()), 10);
            List<String> out = new ArrayList<>();
            for (String statement : SqlScript.statements(Files.readString(sql, StandardCharsets.UTF_8))) {
                // pg_restore --create prints the DATABASE entry with any of these: the prepare
                // stage has created the database, with the owner it could give it
                if (!sessionSetting(statement) && !statement.startsWith("SET default_table_access_method ")
                        && !statement.startsWith("CREATE DATABASE ") && !OWNER.matcher(statement).matches()) {
                    out.add(checked(renamed(statement, sourceDatabase, destinationIdent)));
                }
            }
            return out;
        } finally {
            Files.deleteIfExists(list);
            Files.deleteIfExists(sql);
        }
    }

    /** The statement if it has one of the shapes pg_dump writes into a database's entries; refused otherwise. */
    static String checked(String statement) {
        if (SHAPES.stream().noneMatch(p -> p.matcher(statement).matches())) {
            throw new IllegalStateException("the dump's database entries hold a statement pg_dump does not write there: "
                    + (statement.length() > 200 ? statement.substring(0, 200) + "..." : statement));
        }
        return statement;
    }

    /** One of the session settings pg_restore opens each part of its script with. */
    public static boolean sessionSetting(String statement) {
        if (statement.startsWith("SET default_table_access_method ")) {
            return false;
        }
        if (statement.startsWith("SELECT pg_catalog.set_config('search_path', '', false)")) {
            return true;
        }
        if (!statement.startsWith("SET ")) {
            return false;
        }
        String name = statement.substring(4).split("[ =]", 2)[0].toLowerCase(Locale.ROOT);
        return SESSION_SETTINGS.contains(name);
    }

    /**
     * The statement with the database named by its first {@code DATABASE <name>} (outside quotes:
     * a comment's text is left alone) renamed; statements without one (SET SESSION AUTHORIZATION
     * of a grantor chain) as they are. A statement about another database is refused.
     */
    static String renamed(String statement, String sourceDatabase, String destinationIdent) {
        int[] at = databaseName(statement);
        if (at == null) {
            return statement;
        }
        String name = unquoted(statement.substring(at[0], at[1]));
        if (!name.equals(sourceDatabase)) {
            throw new IllegalStateException("the dump names database " + name + " where " + sourceDatabase + " was dumped: "
                    + statement);
        }
        return statement.substring(0, at[0]) + destinationIdent + statement.substring(at[1]);
    }

    /** The statement with its first {@code DATABASE <name>} replaced by {@code replacement} if it names that database. */
    public static String renamedIf(String statement, String database, String replacement) {
        int[] at = databaseName(statement);
        if (at == null || !unquoted(statement.substring(at[0], at[1])).equals(database)) {
            return statement;
        }
        return statement.substring(0, at[0]) + replacement + statement.substring(at[1]);
    }

    /** An identifier as pg_dump prints it, unquoted. */
    public static String unquoted(String ident) {
        return ident.startsWith("\"") && ident.endsWith("\"") && ident.length() > 1
                ? ident.substring(1, ident.length() - 1).replace("\"\"", "\"") : ident;
    }

    /** Where the identifier after the first {@code DATABASE} keyword outside quotes starts and ends; null if there is none. */
    private static int[] databaseName(String statement) {
        int i = 0;
        int n = statement.length();
        while (i < n) {
            char ch = statement.charAt(i);
            if (ch == '\'' || ch == '"') {
                i = skipQuoted(statement, i);
                continue;
            }
            if (statement.startsWith("DATABASE ", i) && (i == 0 || !Character.isLetterOrDigit(statement.charAt(i - 1)))) {
                int start = i + "DATABASE ".length();
                int end = start;
                if (start < n && statement.charAt(start) == '"') {
                    end = skipQuoted(statement, start);
                } else {
                    while (end < n && (Character.isLetterOrDigit(statement.charAt(end)) || statement.charAt(end) == '_'
                            || statement.charAt(end) == '$')) {
                        end++;
                    }
                }
                return new int[]{start, end};
            }
            i++;
        }
        return null;
    }

    private static int skipQuoted(String s, int open) {
        int end = SqlScript.pastQuoted(s, open);
        return end < 0 ? s.length() : end;
    }
}

package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dump's database-level statements, as pg_restore --create prints them, for a database of another name. */
class DatabaseEntriesTest {

    /** What pg_restore 15 printed for a database with a comment, settings, per-role settings and an ACL. */
    private static final String SCRIPT = """
            --
            -- PostgreSQL database dump
            --

            \\restrict ih2FpJfZtlj

            SET statement_timeout = 0;
            SET client_encoding = 'UTF8';
            SELECT pg_catalog.set_config('search_path', '', false);
            SET row_security = off;

            --
            -- Name: DATABASE "Scratch Db"; Type: COMMENT; Schema: -; Owner: caravan_admin
            --

            COMMENT ON DATABASE "Scratch Db" IS 'it''s a db; with
            -- no comment line
            \\connect nowhere
            two lines and DATABASE "Scratch Db" in it';

            ALTER DATABASE "Scratch Db" CONNECTION LIMIT = 42;
            ALTER DATABASE "Scratch Db" SET search_path TO 'app', 'Sales', 'public';
            ALTER ROLE scr_app IN DATABASE "Scratch Db" SET statement_timeout TO '15s';

            \\unrestrict ih2FpJfZtlj
            \\encoding SQL_ASCII
            \\connect -reuse-previous=on "dbname='Scratch Db'"
            SET SESSION AUTHORIZATION scr_app;
            REVOKE CONNECT,TEMPORARY ON DATABASE "Scratch Db" FROM PUBLIC;
            GRANT CONNECT ON DATABASE "Scratch Db" TO "DATABASE" WITH GRANT OPTION;
            RESET SESSION AUTHORIZATION;
            """;

    @Test
    void theStatementsAreSplitOutsideQuotesWithoutCommentsMetaCommandsOrSessionSettings() {
        List<String> statements = SqlScript.statements(SCRIPT).stream().filter(s -> !DatabaseEntries.sessionSetting(s))
                .map(s -> DatabaseEntries.renamed(s, "Scratch Db", "\"new \"\"db\"\"\"")).toList();
        assertThat(statements).containsExactly(
                "COMMENT ON DATABASE \"new \"\"db\"\"\" IS 'it''s a db; with\n-- no comment line\n\\connect nowhere\n"
                        + "two lines and DATABASE \"Scratch Db\" in it'",
                "ALTER DATABASE \"new \"\"db\"\"\" CONNECTION LIMIT = 42",
                "ALTER DATABASE \"new \"\"db\"\"\" SET search_path TO 'app', 'Sales', 'public'",
                "ALTER ROLE scr_app IN DATABASE \"new \"\"db\"\"\" SET statement_timeout TO '15s'",
                "SET SESSION AUTHORIZATION scr_app",
                "REVOKE CONNECT,TEMPORARY ON DATABASE \"new \"\"db\"\"\" FROM PUBLIC",
                "GRANT CONNECT ON DATABASE \"new \"\"db\"\"\" TO \"DATABASE\" WITH GRANT OPTION",
                "RESET SESSION AUTHORIZATION");
    }

    @Test
    void aBareNameAndDollarQuotesAreUnderstoodAndAnotherDatabasesNameIsRefused() {
        assertThat(DatabaseEntries.renamed("ALTER DATABASE shop SET work_mem TO '8MB'", "shop", "\"Shop2\""))
                .isEqualTo("ALTER DATABASE \"Shop2\" SET work_mem TO '8MB'");
        assertThat(SqlScript.statements("SELECT $x$ a; b $x$; SELECT 'c;d';")).containsExactly("SELECT $x$ a; b $x$", "SELECT 'c;d'");
        assertThatThrownBy(() -> DatabaseEntries.renamed("ALTER DATABASE other SET x TO 1", "shop", "s"))
                .hasMessageContaining("names database other where shop was dumped");
        assertThatThrownBy(() -> SqlScript.statements("SELECT 'open")).hasMessageContaining("inside a quoted text");
    }

    @Test
    void onlyTheShapesPgDumpWritesAreRunAndWhatTheSplitterCouldMisreadIsRefused() {
        List<String> statements = SqlScript.statements(SCRIPT).stream().filter(s -> !DatabaseEntries.sessionSetting(s))
                .map(s -> DatabaseEntries.renamed(s, "Scratch Db", "\"x\"")).toList();
        statements.forEach(DatabaseEntries::checked);
        assertThatThrownBy(() -> DatabaseEntries.checked("ALTER ROLE postgres PASSWORD 'x'"))
                .hasMessageContaining("does not write there");
        assertThatThrownBy(() -> DatabaseEntries.checked("DROP DATABASE \"x\"")).hasMessageContaining("does not write there");
        assertThatThrownBy(() -> SqlScript.statements("COMMENT ON DATABASE x IS E'a\\'; DROP TABLE t; --';"))
                .hasMessageContaining("E'' string");
        assertThatThrownBy(() -> SqlScript.statements("COMMENT ON DATABASE x /* ; */ IS 'a';")).hasMessageContaining("block comment");
    }
}

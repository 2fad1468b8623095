package io.pgcaravan.stage.verify;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The schema comparison on scripts shaped as pg_dump prints them. */
class SchemaComparisonTest {

    private static final String SOURCE = """
            --
            -- PostgreSQL database dump
            --

            \\restrict abc
            -- Dumped from database version 15.18
            SET statement_timeout = 0;

            --
            -- Name: shop; Type: DATABASE; Schema: -; Owner: app
            --

            CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


            ALTER DATABASE shop OWNER TO app;

            \\connect -reuse-previous=on "dbname='shop'"

            --
            -- Name: DATABASE shop; Type: COMMENT; Schema: -; Owner: app
            --

            COMMENT ON DATABASE shop IS 'the shop; its DATABASE shop';

            --
            -- Name: shop; Type: DATABASE PROPERTIES; Schema: -; Owner: app
            --

            ALTER DATABASE shop SET search_path TO 'app', 'Sales', 'public';
            ALTER ROLE clerk IN DATABASE shop SET statement_timeout TO '15s';

            --
            -- Name: orders; Type: TABLE; Schema: Sales; Owner: app
            --

            CREATE TABLE "Sales".orders (
                id integer NOT NULL,
                note text DEFAULT 'a; b'::text
            );


            ALTER TABLE "Sales".orders OWNER TO app;

            --
            -- Name: f(integer); Type: FUNCTION; Schema: Sales; Owner: app
            --

            CREATE FUNCTION "Sales".f(x integer) RETURNS integer
                LANGUAGE plpgsql
                AS $$
            BEGIN
            -- a comment; with a quote's
              RETURN x;
            END $$;


            ALTER FUNCTION "Sales".f(x integer) OWNER TO app;

            --
            -- Name: TABLE orders; Type: ACL; Schema: Sales; Owner: app
            --

            REVOKE ALL ON TABLE "Sales".orders FROM PUBLIC;
            GRANT SELECT ON TABLE "Sales".orders TO clerk;
            """;

    private static final SchemaComparison.Options SAME = new SchemaComparison.Options("shop", "shop", true, false);

    @Test
    void aScriptMatchesItselfAndUnderAnotherDatabaseNameAndAnotherServersCreateDatabase() {
        Verification.SchemaCheck same = SchemaComparison.compare(SOURCE, SOURCE, SAME);
        assertThat(same.differences()).isEmpty();
        assertThat(same.compared()).isEqualTo(same.matched()).isEqualTo(6);

        String renamed = SOURCE.replace("Name: shop;", "Name: Shop 2;").replace("Name: DATABASE shop;", "Name: DATABASE \"Shop 2\";")
                .replace("CREATE DATABASE shop ", "CREATE DATABASE \"Shop 2\" ").replace("ALTER DATABASE shop ", "ALTER DATABASE \"Shop 2\" ")
                .replace("COMMENT ON DATABASE shop ", "COMMENT ON DATABASE \"Shop 2\" ").replace("IN DATABASE shop ", "IN DATABASE \"Shop 2\" ")
                // a server before 15 prints no locale provider
                .replace("ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8'", "ENCODING = 'UTF8' LOCALE = 'C.UTF-8'");
        Verification.SchemaCheck check = SchemaComparison.compare(SOURCE, renamed, new SchemaComparison.Options("shop", "Shop 2", true, false));
        assertThat(check.differences()).isEmpty();
        assertThat(check.allowed()).extracting(Verification.Allowed::what).contains("the database's name");
    }

    @Test
    void everyDifferenceIsNamedWithWhatWasExpectedAndWhatWasFound() {
        String broken = SOURCE.replace("GRANT SELECT ON TABLE \"Sales\".orders TO clerk;\n", "")
                .replace("'the shop; its DATABASE shop'", "'another'")
                .replace("ALTER ROLE clerk IN DATABASE shop SET statement_timeout TO '15s';\n", "")
                .replace("Name: orders; Type: TABLE; Schema: Sales; Owner: app", "Name: orders; Type: TABLE; Schema: Sales; Owner: postgres")
                .replace("  RETURN x;", "  RETURN x + 1;")
                .replace("LOCALE = 'C.UTF-8'", "LOCALE = 'en_US.UTF-8'")
                + """

                --
                -- Name: orders p; Type: POLICY; Schema: Sales; Owner: app
                --

                CREATE POLICY p ON "Sales".orders USING (true);
                """;
        Verification.SchemaCheck check = SchemaComparison.compare(SOURCE, broken, SAME);
        assertThat(check.differences()).extracting(Verification.SchemaDifference::describe).containsExactlyInAnyOrder(
                "ACL Sales.TABLE orders: definition, expected GRANT SELECT ON TABLE \"Sales\".orders TO clerk",
                "COMMENT DATABASE \"<database>\": definition, expected COMMENT ON DATABASE \"<database>\" IS 'the shop; its DATABASE shop', "
                        + "found COMMENT ON DATABASE \"<database>\" IS 'another'",
                "DATABASE PROPERTIES \"<database>\": definition, expected ALTER ROLE clerk IN DATABASE \"<database>\" SET statement_timeout TO '15s'",
                "TABLE Sales.orders: owner, expected app, found postgres",
                "FUNCTION Sales.f(integer): definition, expected CREATE FUNCTION \"Sales\".f(x integer) RETURNS integer\n    LANGUAGE plpgsql\n"
                        + "    AS $$\nBEGIN\n-- a comment; with a quote's\n  RETURN x;\nEND $$, found CREATE FUNCTION \"Sales\".f(x integer) RETURNS integer\n"
                        + "    LANGUAGE plpgsql\n    AS $$\nBEGIN\n-- a comment; with a quote's\n  RETURN x + 1;\nEND $$",
                "DATABASE \"<database>\": definition, expected CREATE DATABASE \"<database>\" WITH {ENCODING='UTF8', LC_COLLATE='C.UTF-8', "
                        + "LC_CTYPE='C.UTF-8', TEMPLATE=template0}, found CREATE DATABASE \"<database>\" WITH {ENCODING='UTF8', "
                        + "LC_COLLATE='en_US.UTF-8', LC_CTYPE='en_US.UTF-8', TEMPLATE=template0}",
                "POLICY Sales.orders p: not in the source's dump, found CREATE POLICY p ON \"Sales\".orders USING (true)");
        assertThat(check.matched()).isEqualTo(0);
    }

    @Test
    void aTablesAccessMethodIsComparedWhereverPgDumpSaidIt() {
        String columnar = SOURCE.replace("--\n-- Name: orders; Type: TABLE;", "SET default_table_access_method = columnar;\n\n--\n-- Name: orders; Type: TABLE;");
        assertThat(SchemaComparison.compare(SOURCE, columnar, SAME).differences()).extracting(Verification.SchemaDifference::describe)
                .containsExactly("TABLE Sales.orders: definition, expected ACCESS METHOD heap, found ACCESS METHOD columnar");
        assertThat(SchemaComparison.compare(columnar, columnar, SAME).differences()).isEmpty();
    }

    @Test
    void withNoOwnerOwnersAndPrivilegesAreAllowedAndInAnExistingDatabaseExtraObjectsAre() {
        String other = SOURCE.replace("Owner: app", "Owner: postgres").replace("OWNER TO app", "OWNER TO postgres")
                .replace("GRANT SELECT ON TABLE \"Sales\".orders TO clerk;\n", "")
                + """

                --
                -- Name: theirs; Type: TABLE; Schema: public; Owner: postgres
                --

                CREATE TABLE public.theirs (id integer);
                """;
        Verification.SchemaCheck check = SchemaComparison.compare(SOURCE, other, new SchemaComparison.Options("shop", "shop", false, true));
        assertThat(check.differences()).isEmpty();
        assertThat(check.allowed()).extracting(Verification.Allowed::what).contains("owners and privileges", "1 objects only on the destination");
    }
}

package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faithful to the last property: a database built to catch naive tools (nasty.sql) migrated with
 * the defaults arrives exactly as it is by the independent checker's reading, and the product's
 * verification agrees; then the destination is broken in many distinct ways, one at a time, and
 * each makes the verification fail naming the difference while the checker sees it too.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class FidelityTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            // the defaults: directory format, jobs chosen per machine, restore mode auto
            TestJob.named("it-nasty").unset("dump.format", "dump.jobs", "restore.mode", "restore.jobs"),
            TestJob.named("it-nasty-broken").set("verify.mode", "checksum"));

    @Test
    void aDatabaseBuiltToCatchNaiveToolsArrivesExactlyAsItIsAndTheProductsVerificationAgrees() throws Exception {
        String job = "it-nasty";
        Faithful.freshNastyJob(job);

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).isEmpty();
        assertThat(run.getList("verification.schema.differences")).isEmpty();
        assertThat(run.getInt("verification.schema.compared")).isGreaterThan(60)
                .isEqualTo(run.getInt("verification.schema.matched"));
        assertThat(run.getList("verification.extensions")).isEmpty();
        assertThat(run.getInt("verification.roles.compared")).as("every nasty role was made by the run").isEqualTo(5);
        assertThat(run.getString("stages.find { it.name == 'roles' }.detail"))
                .contains("the database needs").contains("nasty_auditor").doesNotContain("nasty_unrelated");
        try (var c = Stack.destination("postgres")) {
            assertThat(Stack.strings(c, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'nasty%'"))
                    .as("an unrelated superuser of the source stays behind").doesNotContain("nasty_unrelated")
                    .containsAll(Faithful.NASTY_ROLES);
        }
    }

    /** One way to break the destination, how to mend it, and what the verification must then say. */
    record Corruption(String what, String sql, String undo, String... expected) {
    }

    static final List<Corruption> CORRUPTIONS = List.of(
            new Corruption("a column grant revoked",
                    "REVOKE SELECT (\"Customer Name\") ON \"Sales\".\"Orders\" FROM nasty_clerk",
                    "GRANT SELECT (\"Customer Name\") ON \"Sales\".\"Orders\" TO nasty_clerk",
                    "ACL Sales.COLUMN \"Orders\".\"Customer Name\"", "missing on the destination"),
            new Corruption("a grant of the grant chain revoked",
                    "SET ROLE nasty_lead; REVOKE SELECT ON \"Sales\".\"Orders\" FROM nasty_auditor; RESET ROLE",
                    "SET ROLE nasty_lead; GRANT SELECT ON \"Sales\".\"Orders\" TO nasty_auditor; RESET ROLE",
                    "ACL Sales.TABLE \"Orders\"", "GRANT SELECT ON TABLE \"Sales\".\"Orders\" TO nasty_auditor"),
            new Corruption("a table's comment changed",
                    "COMMENT ON TABLE \"Sales\".\"Orders\" IS 'changed'", "COMMENT ON TABLE \"Sales\".\"Orders\" IS 'orders, with RLS'",
                    "COMMENT Sales.TABLE \"Orders\"", "found COMMENT ON TABLE \"Sales\".\"Orders\" IS 'changed'"),
            new Corruption("a policy added",
                    "CREATE POLICY extra ON \"Sales\".\"Orders\" USING (false)", "DROP POLICY extra ON \"Sales\".\"Orders\"",
                    "POLICY Sales.Orders extra: not in the source's dump"),
            new Corruption("row level security switched off",
                    "ALTER TABLE \"Sales\".\"Orders\" DISABLE ROW LEVEL SECURITY", "ALTER TABLE \"Sales\".\"Orders\" ENABLE ROW LEVEL SECURITY",
                    "ROW SECURITY Sales.Orders", "missing on the destination"),
            new Corruption("a database setting altered",
                    "ALTER DATABASE {db} SET statement_timeout = '31s'", "ALTER DATABASE {db} SET statement_timeout = '30s'",
                    "DATABASE PROPERTIES \"<database>\"", "SET statement_timeout TO '31s'"),
            new Corruption("the database's search_path altered",
                    "ALTER DATABASE {db} SET search_path = app, public", "ALTER DATABASE {db} SET search_path = app, \"Sales\", public",
                    "SET search_path TO 'app', 'Sales', 'public'"),
            new Corruption("a per-role setting in the database removed",
                    "ALTER ROLE nasty_clerk IN DATABASE {db} RESET statement_timeout",
                    "ALTER ROLE nasty_clerk IN DATABASE {db} SET statement_timeout = '15s'",
                    "expected ALTER ROLE nasty_clerk IN DATABASE \"<database>\" SET statement_timeout TO '15s'"),
            new Corruption("the database's connection limit changed",
                    "ALTER DATABASE {db} CONNECTION LIMIT 10", "ALTER DATABASE {db} CONNECTION LIMIT 50",
                    "CONNECTION LIMIT = 50", "CONNECTION LIMIT = 10"),
            new Corruption("the database's comment changed",
                    "COMMENT ON DATABASE {db} IS 'another'", "COMMENT ON DATABASE {db} IS 'the nasty database; comments travel'",
                    "COMMENT DATABASE \"<database>\"", "IS 'another'"),
            new Corruption("CONNECT given back to PUBLIC",
                    "GRANT CONNECT ON DATABASE {db} TO PUBLIC", "REVOKE CONNECT ON DATABASE {db} FROM PUBLIC",
                    "ACL DATABASE \"<database>\""),
            new Corruption("a column default changed",
                    "ALTER TABLE \"Sales\".\"Orders\" ALTER COLUMN placed SET DEFAULT '2000-01-01'",
                    "ALTER TABLE \"Sales\".\"Orders\" ALTER COLUMN placed SET DEFAULT now()",
                    "TABLE Sales.Orders: definition", "DEFAULT now()"),
            new Corruption("an index dropped",
                    "DROP INDEX \"Sales\".\"Orders by name\"",
                    "CREATE INDEX \"Orders by name\" ON \"Sales\".\"Orders\" (\"Customer Name\") WITH (fillfactor = 70)",
                    "INDEX Sales.Orders by name: missing on the destination"),
            new Corruption("an index's storage parameter changed",
                    "ALTER INDEX \"Sales\".\"Orders by name\" SET (fillfactor = 90)", "ALTER INDEX \"Sales\".\"Orders by name\" SET (fillfactor = 70)",
                    "INDEX Sales.Orders by name: definition", "fillfactor='70'"),
            new Corruption("a table's owner changed",
                    "ALTER TABLE app.scratch OWNER TO nasty_lead", "ALTER TABLE app.scratch OWNER TO nasty_owner",
                    "TABLE app.scratch: owner, expected nasty_owner, found nasty_lead"),
            new Corruption("a NOT VALID check dropped",
                    "ALTER TABLE \"Sales\".\"Orders\" DROP CONSTRAINT amount_positive",
                    "ALTER TABLE \"Sales\".\"Orders\" ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID",
                    "CONSTRAINT Sales.Orders amount_positive: missing on the destination"),
            new Corruption("a function's body changed",
                    "CREATE OR REPLACE FUNCTION \"Sales\".in_range(p numeric, r \"Sales\".price_range) RETURNS boolean "
                            + "LANGUAGE sql IMMUTABLE AS $$ SELECT NOT (r @> p) $$",
                    "CREATE OR REPLACE FUNCTION \"Sales\".in_range(p numeric, r \"Sales\".price_range) RETURNS boolean "
                            + "LANGUAGE sql IMMUTABLE AS $$ SELECT r @> p $$",
                    "FUNCTION Sales.in_range(numeric, \"Sales\".price_range): definition"),
            new Corruption("default privileges revoked",
                    "ALTER DEFAULT PRIVILEGES FOR ROLE nasty_owner IN SCHEMA app REVOKE SELECT ON TABLES FROM nasty_clerk",
                    "ALTER DEFAULT PRIVILEGES FOR ROLE nasty_owner IN SCHEMA app GRANT SELECT ON TABLES TO nasty_clerk",
                    "DEFAULT ACL app.DEFAULT PRIVILEGES FOR TABLES: missing on the destination"),
            new Corruption("a table left out of the publication",
                    "ALTER PUBLICATION nasty_pub DROP TABLE app.tickets", "ALTER PUBLICATION nasty_pub ADD TABLE app.tickets",
                    "PUBLICATION TABLE app.nasty_pub tickets: missing on the destination"),
            new Corruption("a column's statistics target changed",
                    "ALTER TABLE app.scratch ALTER COLUMN v SET STATISTICS 100", "ALTER TABLE app.scratch ALTER COLUMN v SET STATISTICS 500",
                    "TABLE app.scratch: definition", "SET STATISTICS 500"),
            new Corruption("a table's storage parameter reset",
                    "ALTER TABLE app.scratch RESET (autovacuum_enabled)", "ALTER TABLE app.scratch SET (autovacuum_enabled = false)",
                    "TABLE app.scratch: definition", "autovacuum_enabled='false'"),
            new Corruption("a view's definition changed",
                    "CREATE OR REPLACE VIEW app.big_orders WITH (security_barrier = true) AS "
                            + "SELECT id, amount FROM \"Sales\".\"Orders\" WHERE amount > 200",
                    "CREATE OR REPLACE VIEW app.big_orders WITH (security_barrier = true) AS "
                            + "SELECT id, amount FROM \"Sales\".\"Orders\" WHERE amount > 100",
                    "VIEW app.big_orders: definition"),
            new Corruption("a large object's owner changed",
                    "ALTER LARGE OBJECT 510002 OWNER TO nasty_lead", "ALTER LARGE OBJECT 510002 OWNER TO nasty_owner",
                    "BLOB 510002: owner, expected nasty_owner, found nasty_lead"),
            new Corruption("a large object's comment changed",
                    "COMMENT ON LARGE OBJECT 510001 IS 'x'", "COMMENT ON LARGE OBJECT 510001 IS 'a comment on a large object'",
                    "COMMENT LARGE OBJECT 510001"),
            new Corruption("a row changed, same count",
                    "UPDATE app.scratch SET v = '2' WHERE k = 'a'", "UPDATE app.scratch SET v = '1' WHERE k = 'a'",
                    "table app.scratch: same 2 rows but different content"),
            new Corruption("a row added to a partition",
                    "INSERT INTO app.events VALUES (9999, '2025-03-01', NULL)", "DELETE FROM app.events WHERE id = 9999",
                    "table app.events_2025: expected"),
            new Corruption("a sequence moved",
                    "SELECT setval('app.\"Odd \"\"seq\"\"\"', 99)", "SELECT setval('app.\"Odd \"\"seq\"\"\"', 10)",
                    "sequence app.Odd \"seq\": expected last_value 10"),
            new Corruption("a role's attribute changed",
                    "ALTER ROLE nasty_auditor NOBYPASSRLS", "ALTER ROLE nasty_auditor BYPASSRLS",
                    "ROLE nasty_auditor: attribute, expected BYPASSRLS", "ROLE nasty_auditor: attribute, found NOBYPASSRLS"),
            new Corruption("a role's membership revoked",
                    "REVOKE nasty_group FROM nasty_lead", "GRANT nasty_group TO nasty_lead",
                    "ROLE nasty_lead: attribute, expected member of nasty_group"),
            new Corruption("a role's own setting reset",
                    "ALTER ROLE nasty_clerk RESET work_mem", "ALTER ROLE nasty_clerk SET work_mem = '8MB'",
                    "ROLE nasty_clerk: attribute, expected ALTER ROLE nasty_clerk SET work_mem TO '8MB'"),
            new Corruption("a role's comment changed",
                    "COMMENT ON ROLE nasty_group IS 'another group'", "COMMENT ON ROLE nasty_group IS 'a group'",
                    "ROLE nasty_group: attribute, expected COMMENT ON ROLE nasty_group IS 'a group'"),
            new Corruption("a schema's comment removed",
                    "COMMENT ON SCHEMA \"Sales\" IS NULL", "COMMENT ON SCHEMA \"Sales\" IS 'mixed case; with a ''quote'''",
                    "COMMENT SCHEMA \"Sales\": missing on the destination"));

    @Test
    void everyCorruptionOfTheDestinationFailsTheVerificationNamingItAndTheCheckerSeesItToo() throws Exception {
        String job = "it-nasty-broken";
        String db = StackResource.destinationDb(job);
        Faithful.freshNastyJob(job);
        String id = Api.startRun(job);
        JsonPath first = Api.awaitFinished(id);
        assertThat(first.getString("status")).as(first.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).isEmpty();

        List<String> unnoticed = new ArrayList<>();
        for (Corruption c : CORRUPTIONS) {
            Stack.execDestination(db, c.sql().replace("{db}", db));
            JsonPath run = reverify(id);
            String error = String.valueOf(run.getString("error"));
            if (!"FAILED".equals(run.getString("status")) || !List.of(c.expected()).stream().allMatch(error::contains)) {
                unnoticed.add(c.what() + " -> " + run.getString("status") + ": " + error);
            }
            assertThat(Faithful.differences(job)).as("the checker sees %s", c.what()).isNotEmpty();
            Stack.execDestination(db, c.undo().replace("{db}", db));
        }
        assertThat(unnoticed).as("corruptions the verification did not fail on, or named otherwise").isEmpty();
        assertThat(CORRUPTIONS).hasSizeGreaterThanOrEqualTo(20);

        JsonPath mended = reverify(id);
        assertThat(mended.getString("status")).as(mended.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).isEmpty();
    }

    private static JsonPath reverify(String id) {
        Api.operator().post("/api/runs/" + id + "/verify").then().statusCode(202);
        return Api.awaitFinished(id);
    }
}

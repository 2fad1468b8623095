package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Into a destination set up as RDS, ApsaraDB RDS and PolarDB are (scripts/local-stack.sh): nobody
 * the run logs in as is a superuser; the master user has CREATEDB and CREATEROLE and is a member
 * of rds_superuser / polar_superuser. The nasty fixture travels with the defaults, once as a
 * master user named like the source's administrator (as on RDS, where both are usually
 * "postgres"), once as one of another name (the source's superusers' objects become its own), once
 * as PolarDB's; each time verified, and the independent checker, reading the destination as the
 * provider's superuser, agrees.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class ManagedDestinationTest {

    static final List<TestJob> JOBS = List.of(
            managed("it-managed-rds", Stack.ADMIN, "rds"),
            managed("it-managed-other", "caravan_master", "rds"),
            managed("it-managed-polar", "polar_master", "polardb"),
            managed("it-managed-refused", "caravan_master", "rds"),
            managed("it-managed-mapped", "caravan_master", "rds").set("roles.map.refused_owner", "caravan_master"),
            managed("it-managed-verify", "caravan_master", "rds"),
            // (the restore stage itself is interrupted here: the whole restore after the DONE marker)
            managed("it-managed-fault", "caravan_master", "rds").set("restore.pipelined", "false"),
            managed("it-managed-noowner", "caravan_master", "rds").set("restore.no-owner", "true"),
            // every table with rows in pieces, loaded by the master user beside pg_restore
            managed("it-managed-pieces", "caravan_master", "rds").set("dump.split-tables-larger-than", "1"));

    private static TestJob managed(String name, String login, String flavour) {
        return TestJob.named(name).unset("dump.format", "dump.jobs", "restore.mode", "restore.jobs")
                .set("destination.port", Integer.toString(Stack.MANAGED_PORT))
                .set("destination.user", login)
                .set("destination.password-file", Stack.DIR.resolve("secrets/managed.password").toString())
                .set("flavour", flavour);
    }

    /**
     * A source whose table belongs to a role that is a superuser on the destination (so nobody
     * there can act as it), with an event trigger (which only a superuser can make).
     */
    private static void refusedSource(String job, boolean eventTrigger) throws Exception {
        Stack.execSource("postgres", "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'refused_owner') "
                + "THEN CREATE ROLE refused_owner NOLOGIN; END IF; END$$");
        Stack.createSource(StackResource.sourceDb(job), Stack.sampleSql());
        Stack.execSource(StackResource.sourceDb(job), "CREATE TABLE shop.ledger (id int PRIMARY KEY, note text); "
                + "INSERT INTO shop.ledger VALUES (1, 'one'), (2, 'two'); ALTER TABLE shop.ledger OWNER TO refused_owner"
                + (eventTrigger ? "; CREATE FUNCTION public.evt() RETURNS event_trigger LANGUAGE plpgsql AS $f$BEGIN END$f$; "
                + "CREATE EVENT TRIGGER audit_ddl ON ddl_command_start EXECUTE FUNCTION public.evt()" : ""));
        try (var c = Stack.managedProvider("postgres"); var st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + StackResource.destinationDb(job) + " WITH (FORCE)");
            st.execute("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'refused_owner') "
                    + "THEN CREATE ROLE refused_owner SUPERUSER NOLOGIN; END IF; END$$");
        }
    }

    @Test
    void whatTheLoginCannotDoFailsThePrecheckNamingTheFix() throws Exception {
        String job = "it-managed-refused";
        refusedSource(job, true);

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).isEqualTo("FAILED");
        Map<String, Object> ownership = item(run, "destination.ownership");
        assertThat(ownership.get("status")).isEqualTo("FAIL");
        assertThat((String) ownership.get("message")).contains("refused_owner is a superuser on the destination")
                .contains("GRANT <role> TO caravan_master").contains("roles.map.<role>=caravan_master");
        Map<String, Object> superuserOnly = item(run, "destination.superuser-only");
        assertThat(superuserOnly.get("status")).isEqualTo("FAIL");
        assertThat((String) superuserOnly.get("message")).contains("event trigger audit_ddl");
        assertThat(item(run, "source.superuser-only").get("status")).isEqualTo("WARN");
        assertThat(Api.stageStatus(run, "dump")).isEqualTo("PENDING");
    }

    @Test
    void aMappedRoleGivesItsObjectsToTheRoleItIsMappedTo() throws Exception {
        String job = "it-managed-mapped";
        refusedSource(job, false);

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat((String) item(run, "destination.ownership").get("message")).contains("refused_owner: mapped to caravan_master");
        try (var c = Stack.managedProvider(StackResource.destinationDb(job))) {
            assertThat(Stack.strings(c, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'shop.ledger'::regclass"))
                    .containsExactly("caravan_master");
        }
        assertThat(run.getList("verification.schema.allowed.what", String.class)).contains("mapped roles");
        assertThat(Faithful.managedDifferences(job, Map.of("refused_owner", "caravan_master", Stack.ADMIN, "caravan_master",
                "postgres", "caravan_master"))).isEmpty();
    }

    /** The verification as a master user: memberships granted again for it and revoked after, differences named. */
    @Test
    void aReverificationAsTheMasterUserSeesWhatChangedAndLeavesNoMembershipBehind() throws Exception {
        String job = "it-managed-verify";
        Faithful.freshNastyManagedJob(job);
        String id = Api.startRun(job);
        JsonPath first = Api.awaitFinished(id);
        assertThat(first.getString("status")).as(first.getString("error")).isEqualTo("SUCCEEDED");
        String db = StackResource.destinationDb(job);

        try (var c = Stack.managedProvider(db); var st = c.createStatement()) {
            st.execute("SET ROLE nasty_lead; REVOKE SELECT ON \"Sales\".\"Orders\" FROM nasty_auditor; RESET ROLE");
            st.execute("COMMENT ON TABLE app.dba_notes IS 'changed'");
        }
        JsonPath broken = reverify(id);
        assertThat(broken.getString("status")).isEqualTo("FAILED");
        assertThat(broken.getString("error")).contains("ACL Sales.TABLE \"Orders\"").contains("COMMENT app.TABLE dba_notes");
        assertThat(Faithful.managedDifferences(job, "caravan_master")).isNotEmpty();
        assertThat(membershipsOf("caravan_master")).as("revoked again after a failed verification too").isEmpty();

        try (var c = Stack.managedProvider(db); var st = c.createStatement()) {
            st.execute("SET ROLE nasty_lead; GRANT SELECT ON \"Sales\".\"Orders\" TO nasty_auditor; RESET ROLE");
            st.execute("COMMENT ON TABLE app.dba_notes IS NULL");
        }
        JsonPath mended = reverify(id);
        assertThat(mended.getString("status")).as(mended.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.managedDifferences(job, "caravan_master")).isEmpty();
        assertThat(membershipsOf("caravan_master")).isEmpty();
    }

    /**
     * The restore's session is killed in the middle of the big table's COPY (as a provider's
     * failover or maintenance would): a connection failure, retried; the parallel restore's
     * clean-up drops and recreates the database as the master user, and the run ends exact.
     */
    @Test
    void aRestoreKilledInTheMiddleIsCleanedUpAndRetriedAsTheMasterUser() throws Exception {
        String job = "it-managed-fault";
        Faithful.freshNastyManagedJob(job);
        Stack.execSource(StackResource.sourceDb(job), "CREATE TABLE app.big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 1500000) g; "
                + "ALTER TABLE app.big ADD PRIMARY KEY (id); ALTER TABLE app.big OWNER TO nasty_owner");
        String db = StackResource.destinationDb(job);

        String id = Api.startRun(job);
        Api.awaitStageRunning(id, "restore");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).pollInterval(java.time.Duration.ofMillis(20)).until(() -> {
            try (var c = Stack.managedProvider("postgres"); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_progress_copy WHERE datname = '" + db
                         + "' AND tuples_processed > 200000")) {
                return rs.next();
            }
        });
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(run.getList("attempts.stage", String.class)).contains("restore");
        assertThat(Faithful.managedDifferences(job, "caravan_master")).isEmpty();
        assertThat(membershipsOf("caravan_master")).isEmpty();
    }

    /** restore.no-owner with the roles migrated: everything is the master user's, and every grant and default privilege travels. */
    @Test
    void withNoOwnerTheLoginOwnsEverythingAndTheGrantsTravel() throws Exception {
        String job = "it-managed-noowner";
        Faithful.freshNastyManagedJob(job);

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(run.getList("verification.schema.allowed.what", String.class)).contains("owners").doesNotContain("owners and privileges");
        assertThat(run.getInt("verification.schema.compared")).isGreaterThan(60);
        try (var c = Stack.managedProvider(StackResource.destinationDb(job))) {
            assertThat(Stack.strings(c, "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE n.nspname IN ('app', 'Sales')")).containsExactly("caravan_master");
            assertThat(Stack.strings(c, "SELECT array_to_string(attacl, ',') FROM pg_attribute WHERE attrelid = '\"Sales\".\"Orders\"'::regclass "
                    + "AND attname = 'Customer Name'")).containsExactly("nasty_clerk=r/caravan_master");
            assertThat(Stack.strings(c, "SELECT array_to_string(relacl, ',') FROM pg_class WHERE oid = '\"Sales\".\"Orders\"'::regclass").get(0))
                    .contains("nasty_lead=a*r*/caravan_master").contains("nasty_auditor=r/nasty_lead");
            assertThat(Stack.strings(c, "SELECT pg_get_userbyid(defaclrole) || ' ' || array_to_string(defaclacl, ',') FROM pg_default_acl"))
                    .contains("nasty_owner nasty_clerk=r/nasty_owner");
        }
        assertThat(membershipsOf("caravan_master")).isEmpty();
    }

    private static List<String> membershipsOf(String login) throws Exception {
        try (var c = Stack.managedProvider("postgres")) {
            return Stack.strings(c, "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                    + "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '" + login + "' AND m.grantor = u.oid");
        }
    }

    private static JsonPath reverify(String id) {
        Api.operator().post("/api/runs/" + id + "/verify").then().statusCode(202);
        return Api.awaitFinished(id);
    }

    private static Map<String, Object> item(JsonPath run, String name) {
        List<Map<String, Object>> items = run.getList("precheck");
        return items.stream().filter(i -> name.equals(i.get("item"))).findFirst()
                .orElseThrow(() -> new AssertionError("no precheck item " + name + " in " + run.prettify()));
    }

    @ParameterizedTest
    @CsvSource({"it-managed-rds, caravan_admin", "it-managed-other, caravan_master", "it-managed-polar, polar_master",
            "it-managed-pieces, caravan_master"})
    void theNastyFixtureArrivesWhole(String job, String login) throws Exception {
        Faithful.freshNastyManagedJob(job);

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.managedDifferences(job, login)).isEmpty();
        assertThat(run.getList("verification.schema.differences")).isEmpty();
        assertThat(run.getInt("verification.roles.compared")).as("every nasty role was made by the run").isEqualTo(5);
        try (var c = Stack.managedProvider("postgres")) {
            assertThat(Stack.strings(c, "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                    + "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '" + login + "' AND m.grantor = u.oid"))
                    .as("the memberships the run gave its login are revoked again").isEmpty();
            assertThat(Stack.strings(c, "SELECT rolname FROM pg_roles WHERE rolsuper AND rolname LIKE 'nasty%'"))
                    .as("nobody but the provider is a superuser there, whatever the source had").isEmpty();
        }
    }
}

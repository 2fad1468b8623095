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
            managed("it-managed-mapped", "caravan_master", "rds").set("roles.map.refused_owner", "caravan_master"));

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

    private static Map<String, Object> item(JsonPath run, String name) {
        List<Map<String, Object>> items = run.getList("precheck");
        return items.stream().filter(i -> name.equals(i.get("item"))).findFirst()
                .orElseThrow(() -> new AssertionError("no precheck item " + name + " in " + run.prettify()));
    }

    @ParameterizedTest
    @CsvSource({"it-managed-rds, caravan_admin", "it-managed-other, caravan_master", "it-managed-polar, polar_master"})
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

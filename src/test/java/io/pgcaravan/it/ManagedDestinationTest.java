package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

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
            managed("it-managed-polar", "polar_master", "polardb"));

    private static TestJob managed(String name, String login, String flavour) {
        return TestJob.named(name).unset("dump.format", "dump.jobs", "restore.mode", "restore.jobs")
                .set("destination.port", Integer.toString(Stack.MANAGED_PORT))
                .set("destination.user", login)
                .set("destination.password-file", Stack.DIR.resolve("secrets/managed.password").toString())
                .set("flavour", flavour);
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
            assertThat(Stack.strings(c, "SELECT rolname FROM pg_roles WHERE rolsuper")).containsExactly(Stack.PROVIDER);
        }
    }
}

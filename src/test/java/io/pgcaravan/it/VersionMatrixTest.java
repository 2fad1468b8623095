package io.pgcaravan.it;

import io.pgcaravan.check.IndependentChecker;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every major from 12 to 17: the nasty fixture from sources 12, 13, 14 and 15 into destinations
 * 15, 16 and 17, each plain (a superuser login) and managed-like (a master user, flavour rds),
 * with the defaults, verified, and the independent checker agreeing. The machine's client tools
 * are PostgreSQL 15's (Debian 12): they dump every source here and restore into every
 * destination, but cannot read a 16 or 17 server's schema, which the precheck says before
 * anything moves (tools.verification).
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class VersionMatrixTest {

    static final List<Integer> SOURCES = List.of(12, 13, 14, 15);
    static final List<Integer> DESTINATIONS = List.of(15, 16, 17);

    static final List<TestJob> JOBS = jobs();

    private static List<TestJob> jobs() {
        List<TestJob> out = new ArrayList<>();
        for (int src : SOURCES) {
            for (int dst : DESTINATIONS) {
                for (boolean managed : List.of(false, true)) {
                    TestJob job = TestJob.named(name(src, dst, managed)).unset("dump.format", "dump.jobs", "restore.mode", "restore.jobs")
                            .set("source.port", Integer.toString(VersionClusters.sourcePort(src)))
                            .set("destination.port", Integer.toString(VersionClusters.destinationPort(dst, managed)));
                    if (dst > 15) {
                        // the client tools here are 15's: the schema and the roles cannot be read there
                        job.set("verify.schema", "if-readable");
                    }
                    if (managed) {
                        job.set("destination.user", "caravan_master").set("flavour", "rds")
                                .set("destination.password-file", Stack.DIR.resolve("secrets/managed.password").toString());
                    }
                    out.add(job);
                }
            }
        }
        out.add(TestJob.named("it-v15-17-strict").set("destination.port", Integer.toString(VersionClusters.destinationPort(17, false))));
        out.add(TestJob.named("it-v17-15").set("source.port", Integer.toString(VersionClusters.sourcePort(17))));
        return out;
    }

    static String name(int src, int dst, boolean managed) {
        return "it-v" + src + "-" + dst + (managed ? "-managed" : "");
    }

    static Stream<Arguments> matrix() {
        List<Arguments> out = new ArrayList<>();
        for (int src : SOURCES) {
            for (int dst : DESTINATIONS) {
                out.add(Arguments.of(src, dst, false));
                out.add(Arguments.of(src, dst, true));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "source {0} into destination {1}, managed-like {2}")
    @MethodSource("matrix")
    void theNastyFixtureTravelsFromEveryMajorToEveryNewerOne(int src, int dst, boolean managed) throws Exception {
        String job = name(src, dst, managed);
        VersionClusters.ensureSource(src);
        VersionClusters.ensureDestination(dst);
        int srcPort = VersionClusters.sourcePort(src);
        String db = StackResource.sourceDb(job);
        Faithful.psql(srcPort, "postgres", Faithful.ROLES);
        try (Connection c = VersionClusters.connect(srcPort, Stack.ADMIN, Stack.sourcePassword()); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + db);
            st.execute("CREATE DATABASE " + db + " OWNER " + Stack.ADMIN);
        }
        Faithful.psql(srcPort, db, Faithful.NASTY);
        int dstPort = VersionClusters.destinationPort(dst, managed);
        try (Connection c = destinationSuperuser(dst, managed, "postgres"); Statement st = c.createStatement()) {
            for (boolean m : List.of(false, true)) {
                st.execute("DROP DATABASE IF EXISTS " + StackResource.destinationDb(name(src, dst, m)));
            }
        }
        try (Connection c = destinationSuperuser(dst, managed, "postgres")) {
            Faithful.dropNastyRoles(c);
        }

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(run.getList("verification.schema.differences")).isEmpty();
        if (dst > 15) {
            assertThat(run.getList("verification.schema.allowed.what", String.class)).contains("the schema and the roles");
            assertThat(run.getString("stages.find { it.name == 'verify' }.detail")).contains("not compared");
        }
        String login = managed ? "caravan_master" : Stack.ADMIN;
        Map<String, String> mapped = new TreeMap<>();
        if (managed) {
            mapped.put(Stack.ADMIN, login);
            mapped.put("postgres", login);
        }
        IndependentChecker.Side source = new IndependentChecker.Side(srcPort, Stack.ADMIN, Stack.sourcePassword(), db);
        IndependentChecker.Side destination = new IndependentChecker.Side(dstPort, superuser(dst, managed), superuserPassword(dst, managed),
                StackResource.destinationDb(job));
        IndependentChecker.Allow allow = managed ? IndependentChecker.Allow.managed(mapped, Stack.PROVIDER, "rds_superuser", "polar_superuser",
                Stack.ADMIN, "caravan_master", "polar_master", "postgres")
                // a plain destination's own bootstrap superuser stands for the source's (rdsadmin on 16 and 17 here)
                : new IndependentChecker.Allow(java.util.Set.of(Stack.ADMIN, "postgres", Stack.PROVIDER), false,
                dst > 15 ? Map.of("postgres", Stack.PROVIDER) : Map.of());
        assertThat(IndependentChecker.differences(source, destination, allow)).isEmpty();
        if (src == 12 && dst == 17) {
            // where the checker reads the schema from the catalogs, it sees what is wrong there too
            for (String[] broken : List.of(
                    new String[]{"REVOKE SELECT ON app.dba_notes FROM nasty_clerk", "GRANT SELECT ON app.dba_notes TO nasty_clerk"},
                    new String[]{"COMMENT ON COLUMN \"Sales\".\"Orders\".\"Customer Name\" IS 'changed'",
                            "COMMENT ON COLUMN \"Sales\".\"Orders\".\"Customer Name\" IS 'who'"},
                    new String[]{"ALTER TABLE app.scratch ALTER COLUMN v SET STATISTICS 100", "ALTER TABLE app.scratch ALTER COLUMN v SET STATISTICS 500"},
                    new String[]{"DROP POLICY auditors ON \"Sales\".\"Orders\"", "CREATE POLICY auditors ON \"Sales\".\"Orders\" AS RESTRICTIVE "
                            + "FOR ALL TO nasty_auditor USING (true) WITH CHECK (false)"})) {
                try (Connection c = destinationSuperuser(dst, managed, StackResource.destinationDb(job)); Statement st = c.createStatement()) {
                    st.execute(broken[0]);
                    assertThat(IndependentChecker.differences(source, destination, allow)).as(broken[0]).isNotEmpty();
                    st.execute(broken[1]);
                }
            }
            assertThat(IndependentChecker.differences(source, destination, allow)).isEmpty();
        }
    }

    @Test
    void clientToolsOlderThanTheDestinationStopTheRunBeforeAnythingMovesUnlessTheJobAllowsIt() throws Exception {
        VersionClusters.ensureDestination(17);
        String job = "it-v15-17-strict";
        Stack.freshJob(job);

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error")).contains("tools.verification: pg_dump 15 cannot read the destination's PostgreSQL 17")
                .contains("install the PostgreSQL 17 client tools").contains("verify.schema=if-readable");
        assertThat(Api.stageStatus(run, "dump")).isEqualTo("PENDING");
    }

    @Test
    void aSourceNewerThanTheClientToolsIsRefusedInThePrecheckWithTheToolsToInstall() throws Exception {
        VersionClusters.ensureSource(17);
        String job = "it-v17-15";
        try (Connection c = VersionClusters.connect(VersionClusters.sourcePort(17), Stack.ADMIN, Stack.sourcePassword());
             Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + StackResource.sourceDb(job));
            st.execute("CREATE DATABASE " + StackResource.sourceDb(job));
        }

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error")).contains("tools.pg_dump").contains("17");
        assertThat(Api.stageStatus(run, "dump")).isEqualTo("PENDING");
    }

    private static String superuser(int dst, boolean managed) {
        return dst == 15 && !managed ? Stack.ADMIN : Stack.PROVIDER;
    }

    private static String superuserPassword(int dst, boolean managed) {
        return dst == 15 && !managed ? Stack.destinationPassword() : Stack.managedProviderPassword();
    }

    private static Connection destinationSuperuser(int dst, boolean managed, String database) throws Exception {
        return VersionClusters.connect(VersionClusters.destinationPort(dst, managed), superuser(dst, managed), superuserPassword(dst, managed), database);
    }
}

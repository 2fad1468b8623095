package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Real faults against the real local stack: the intermediate host's sshd and the destination
 * cluster go away in the middle of a run and come back, a source never answers, a restore fails
 * for a reason that is not the network. Each test ends by itself within its (short, test) windows.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class FaultInjectionTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-flaky-sftp").directory(2).set("intermediate.max-bytes-per-second", "1000000")
                    .set("retry.connection", "60s"),
            TestJob.named("it-flaky-dst").set("retry.connection", "60s"),
            // a destination that requires SSL, as every managed cloud PostgreSQL does
            TestJob.named("it-flaky-ssl").set("destination.sslmode", "require").set("retry.connection", "60s"),
            TestJob.named("it-nosource").set("source.port", "1").set("retry.connection", "3s").set("retry.other", "1s"),
            TestJob.named("it-conflict").set("retry.other", "2s"),
            TestJob.named("it-cancel").restoreMode("parallel"),
            TestJob.named("it-flaky-par").restoreMode("parallel").set("retry.connection", "60s"),
            TestJob.named("it-flaky-par-kept").restoreMode("parallel").set("retry.connection", "60s"));

    @AfterEach
    void stackBackUp() throws Exception {
        Stack.startStack(); // whatever a failed test left down
    }

    @Test
    void sshdStoppedDuringTheUploadAndBackWithinTheWindow() throws Exception {
        String job = "it-flaky-sftp";
        Stack.freshJob(job, 200_000);
        // a second big table: the one the sender follows during the dump is finished there
        Stack.execSource(StackResource.sourceDb(job), "CREATE TABLE shop.big2 AS SELECT * FROM shop.big");

        // part of the dump on the intermediate host, over a second of the (throttled) upload left
        String id = Api.startRun(job);
        Api.awaitUploadHalfway(() -> Api.run(id), 1_200_000);
        Stack.stopSshd();
        Thread.sleep(3000);
        Stack.startStack();
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        // a bandwidth limit under 50 MB/s makes a slow link: compressed (zstd, as sent), without measuring it
        assertThat(detail(run, "dump")).contains("zstd level 1 as sent");
        assertThat(Api.viewer().get("/api/runs/" + id + "/log").then().extract().asString()).doesNotContain("the link to");
        List<Map<String, Object>> attempts = run.getList("attempts");
        assertThat(attempts).isNotEmpty().allSatisfy(a -> {
            assertThat(a.get("stage")).isEqualTo("upload");
            assertThat(a.get("failureClass")).isEqualTo("CONNECTION");
            assertThat(a.get("retried")).isEqualTo(true);
        });
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        // what the first attempt delivered was not sent again
        assertThat(Api.viewer().get("/api/runs/" + id + "/log").then().extract().asString())
                .containsPattern("\\d+ of \\d+ files already on the intermediate host, not sent again");
    }

    @Test
    void sshdStoppedWhileTableFilesGoUpDuringTheDump() throws Exception {
        String job = "it-defaults";
        Stack.freshJob(job, 1_000_000);
        Stack.execSource(StackResource.sourceDb(job), "CREATE TABLE shop.big2 AS SELECT * FROM shop.big");

        // the intermediate host goes away once the dump stage has measured the link: pg_dump runs,
        // and the table files it completes cannot be sent early
        String id = Api.startRun(job);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() ->
                Api.viewer().get("/api/runs/" + id + "/log").then().extract().asString().contains("the link to 127.0.0.1 takes"));
        Stack.stopSshd();
        Thread.sleep(3000);
        Stack.startStack();
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        // sending early only stopped; the dump was not taken again for it, the upload stage sent the rest
        assertThat(run.getList("attempts.stage", String.class)).isNotEmpty().containsOnly("upload");
        assertThat(detail(run, "dump")).contains("0 table files sent while dumping");
        String log = Api.viewer().get("/api/runs/" + id + "/log").then().extract().asString();
        assertThat(log).contains("sending table files during the dump stopped (the upload stage sends the rest)");
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        Process check = new ProcessBuilder("sha256sum", "--check", "--strict", "--ignore-missing", "sha256")
                .directory(Stack.checked(id).toFile()).redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor()).as(out).isZero();
    }

    private static String detail(JsonPath run, String stage) {
        return run.getString("stages.find { it.name == '" + stage + "' }.detail");
    }

    @Test
    void destinationStoppedDuringTheRestoreAndBackWithinTheWindow() throws Exception {
        String job = "it-flaky-dst";
        Stack.freshJob(job, 1_000_000);

        String id = Api.startRun(job);
        JsonPath run = withOutage(id, "restore", 0, Stack::stopDestination);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        List<Map<String, Object>> attempts = run.getList("attempts");
        assertThat(attempts).isNotEmpty().allSatisfy(a -> {
            assertThat(a.get("stage")).isEqualTo("restore");
            assertThat(a.get("failureClass")).isEqualTo("CONNECTION");
        });
        Map<String, Object> big = run.getMap("verification.tables.find { it.table == 'big' }");
        assertThat(big.get("destinationRows")).isEqualTo(1_000_000);
        assertThat(run.getList("verification.tables.match", Boolean.class)).containsOnly(true);
    }

    /**
     * A managed destination requires SSL. The server stops (immediately, as a failover does) while
     * the big table's COPY is streaming over SSL; whatever libpq then says ("SSL connection has been
     * closed unexpectedly", "SSL SYSCALL error: EOF detected", the FATAL of the shutdown, "the
     * database system is starting up" on the next try) is a connection failure, retried within the
     * connection window, and the run ends exact.
     */
    @Test
    void destinationStoppedInTheMiddleOfALargeCopyOverSslIsAConnectionFailure() throws Exception {
        String job = "it-flaky-ssl";
        Stack.freshJob(job, 1_500_000);
        String db = StackResource.destinationDb(job);

        String id = Api.startRun(job);
        Api.awaitStageRunning(id, "restore");
        // wait until the COPY of the big table is well under way, on an SSL connection
        boolean[] overSsl = new boolean[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            try (Connection c = Stack.destination("postgres"); Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT s.ssl FROM pg_stat_progress_copy p JOIN pg_stat_ssl s USING (pid) "
                         + "WHERE p.datname = '" + db + "' AND p.tuples_processed > 200000")) { // only big has that many
                if (rs.next()) {
                    overSsl[0] = rs.getBoolean(1);
                    return true;
                }
                return false;
            }
        });
        Stack.stopDestination("immediate");
        Thread.sleep(3000);
        Stack.startStack();
        JsonPath run = Api.awaitFinished(id);

        assertThat(overSsl[0]).as("the restore's COPY ran over SSL").isTrue();
        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        List<Map<String, Object>> attempts = run.getList("attempts");
        assertThat(attempts).as(run.prettify()).isNotEmpty().allSatisfy(a -> {
            assertThat(a.get("stage")).isEqualTo("restore");
            assertThat(a.get("failureClass")).as(String.valueOf(a.get("cause"))).isEqualTo("CONNECTION");
            assertThat(a.get("retried")).isEqualTo(true);
        });
        Map<String, Object> big = run.getMap("verification.tables.find { it.table == 'big' }");
        assertThat(big.get("destinationRows")).isEqualTo(1_500_000);
        assertThat(run.getList("verification.tables.match", Boolean.class)).containsOnly(true);
        // and read directly, not only by the product's own verification: every row, once
        try (Connection c = Stack.destination(db); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*), count(DISTINCT id), sum(id) FROM shop.big")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1_500_000);
            assertThat(rs.getLong(2)).isEqualTo(1_500_000);
            assertThat(rs.getLong(3)).isEqualTo(1_500_000L * 1_500_001L / 2);
        }
    }

    @Test
    void aParallelRestoreInterruptedInADatabaseTheRunCreatedIsCleanedUpAndRetried() throws Exception {
        String job = "it-flaky-par";
        Stack.freshJob(job, 1_000_000);

        String id = Api.startRun(job);
        JsonPath run = withOutage(id, "restore", 500, Stack::stopDestination); // tables created, data loading

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        assertThat(run.getList("verification.tables.match", Boolean.class)).containsOnly(true);
        assertThat(Api.viewer().get("/api/runs/" + id + "/log").then().extract().asString())
                .contains("dropping and recreating " + StackResource.destinationDb(job)
                        + " to clean up after a failed parallel restore");
    }

    @Test
    void aParallelRestoreInterruptedInADatabaseThatHeldDataIsNotCleanedUpAutomatically() throws Exception {
        String job = "it-flaky-par-kept";
        Stack.freshJob(job, 1_000_000);
        try (Connection c = Stack.destination("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + StackResource.destinationDb(job));
        }
        try (Connection c = Stack.destination(StackResource.destinationDb(job)); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE public.keep_me (note text); INSERT INTO public.keep_me VALUES ('was here before')");
        }

        String id = Api.startRun(job);
        JsonPath run = withOutage(id, "restore", 500, Stack::stopDestination);

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error")).startsWith("restore: an earlier parallel restore attempt left")
                .contains("a database this run neither created nor found empty");
        try (Connection c = Stack.destination(StackResource.destinationDb(job)); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT note FROM public.keep_me")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("was here before");
        }
    }

    @Test
    void sourceUnreachableForTheWholeConnectionWindowFailsTheRun() throws Exception {
        String job = "it-nosource";
        Stack.dropDestination(StackResource.destinationDb(job));

        long start = System.nanoTime();
        JsonPath run = Api.awaitFinished(Api.startRun(job));
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error"))
                .startsWith("precheck: connection failure, retried for ")
                .contains("source.connection: cannot connect to 127.0.0.1:1/it_nosource_src")
                .contains("refused");
        List<Map<String, Object>> attempts = run.getList("attempts");
        assertThat(attempts.size()).isGreaterThanOrEqualTo(3);
        assertThat(attempts).allSatisfy(a -> assertThat(a.get("failureClass")).isEqualTo("CONNECTION"));
        assertThat(attempts.get(attempts.size() - 1).get("retried")).isEqualTo(false);
        // the 3 s connection window, not the 1 s window of other failures
        assertThat(seconds).isGreaterThanOrEqualTo(3.0);
        assertThat(Api.stageStatus(run, "precheck")).isEqualTo("FAILED");
        assertThat(Api.stageStatus(run, "dump")).isEqualTo("PENDING");
    }

    @Test
    void aRestoreErrorThatIsNotTheNetworkIsRetriedForTheOtherWindowOnlyAndTheRunResumesOnceFixed() throws Exception {
        String job = "it-conflict";
        Stack.freshJob(job);
        // a destination with an object the dump will also create (not a table, which the precheck
        // would catch): pg_restore fails on it
        try (Connection c = Stack.destination("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + StackResource.destinationDb(job));
        }
        try (Connection c = Stack.destination(StackResource.destinationDb(job)); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA shop");
        }

        String id = Api.startRun(job);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error")).startsWith("restore: other failure, retried for ")
                .contains("pg_restore exited with 1")
                .contains("schema \"shop\" already exists");
        List<Map<String, Object>> attempts = run.getList("attempts");
        assertThat(attempts.size()).isGreaterThanOrEqualTo(2);
        assertThat(attempts).allSatisfy(a -> {
            assertThat(a.get("stage")).isEqualTo("restore");
            assertThat(a.get("failureClass")).isEqualTo("OTHER");
        });
        // single transaction: nothing of the failed restore is left
        try (Connection c = Stack.destination(StackResource.destinationDb(job)); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'shop'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }

        // fixed by hand, the run is resumed: it goes on at the restore, without redoing what was done
        try (Connection c = Stack.destination(StackResource.destinationDb(job)); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA shop CASCADE");
        }
        String dumpStarted = run.getString("stages.find { it.name == 'dump' }.startedAt");
        Api.operator().post("/api/runs/" + id + "/resume").then().statusCode(202).body("status", equalTo("QUEUED"));
        JsonPath resumed = Api.awaitFinished(id);

        assertThat(resumed.getString("status")).as(resumed.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        assertThat(resumed.getString("stages.find { it.name == 'dump' }.startedAt")).isEqualTo(dumpStarted);
        assertThat(resumed.getList("verification.tables.match", Boolean.class)).containsOnly(true);
        Api.operator().post("/api/runs/" + id + "/resume").then().statusCode(409)
                .body("message", containsString("only FAILED or CANCELLED runs can be resumed"));
    }

    @Test
    void cancelStopsTheRunAndItsRestoreWithNothingLeftBehind() throws Exception {
        String job = "it-cancel";
        Stack.freshJob(job, 1_000_000);

        String id = Api.startRun(job);
        Api.awaitStageRunning(id, "restore");
        // (the stage cleans the destination up first: pg_restore starts a moment later)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> !toolProcesses("pg_restore").isEmpty());
        Api.operator().post("/api/runs/" + id + "/cancel").then().statusCode(200).body("status", equalTo("CANCELLED"));
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).isEqualTo("CANCELLED");
        assertThat(run.getString("error")).startsWith("cancelled by it-operator");
        // killed with the run, not left behind (SIGTERM takes pg_restore a moment)
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(toolProcesses("pg_restore")).as("no pg_restore left").isEmpty());
        assertThat(Api.stageStatus(Api.run(id), "verify")).isEqualTo("PENDING");
        Api.operator().post("/api/runs/" + id + "/cancel").then().statusCode(409)
                .body("message", containsString("is CANCELLED and cannot be cancelled"));
        Api.viewer().get("/api/runs?job=it-cancel&status=CANCELLED").then().statusCode(200)
                .body("id", org.hamcrest.Matchers.hasItem(id));
    }

    interface Outage {
        void begin() throws Exception;
    }

    /**
     * Lets the run get {@code intoStageMs} into the stage, takes part of the stack down for 3 s
     * (well inside the connection window), brings it back and waits for the run to end.
     */
    private static JsonPath withOutage(String id, String stage, long intoStageMs, Outage outage) throws Exception {
        Api.awaitStageRunning(id, stage);
        Thread.sleep(intoStageMs);
        outage.begin();
        Thread.sleep(3000);
        Stack.startStack();
        return Api.awaitFinished(id);
    }

    private static List<String> toolProcesses(String tool) throws Exception {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).map(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                } catch (Exception e) {
                    return "";
                }
            }).filter(c -> c.contains("/" + tool + " ") && c.contains("it_cancel_dst")).toList();
        }
    }
}

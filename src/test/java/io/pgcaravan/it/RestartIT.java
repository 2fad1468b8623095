package io.pgcaravan.it;

import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged application killed (SIGKILL) in the middle of a run and started again: the run
 * goes on at its first unfinished stage, without redoing the stages it had finished.
 */
class RestartIT {

    static final Path HOME = Path.of("target/restart-it").toAbsolutePath();
    static final Path DROP = Stack.DIR.resolve("drop/restart-it");
    static final int PORT = 8097;

    private Process app;
    private int starts;
    /** The test's name: each start's log is {@code <test>-<n>.log}. */
    private String test;

    @org.junit.jupiter.api.BeforeEach
    void name(org.junit.jupiter.api.TestInfo info) {
        test = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("app");
    }

    @BeforeAll
    static void configure() throws Exception {
        StackResource.deleteTree(HOME);
        Files.createDirectories(HOME);
        StackResource.freshDropDir(DROP);
        StringBuilder p = new StringBuilder();
        p.append("caravan.data-dir=").append(HOME.resolve("data")).append('\n')
                .append("quarkus.http.port=").append(PORT).append('\n')
                .append("caravan.import.drop-dir=").append(DROP).append('\n')
                .append("caravan.import.poll-delay-ms=200\n")
                .append("caravan.api.users.it.password=restart-pw\ncaravan.api.users.it.roles=operator,viewer\n")
                .append("caravan.retry.enforce-ranges=false\ncaravan.retry.initial-delay-ms=200\ncaravan.retry.max-delay-ms=1000\n");
        job(p, "rs-dump", "custom", 0);
        job(p, "rs-upload", "directory", 1_000_000);
        job(p, "rs-pipe", "directory", 1_000_000);
        job(p, "rs-piece", "directory", 1_000_000);
        // the two big tables in pieces of about 2 MB
        job(p, "rs-split", "directory", 1_000_000);
        job(p, "rs-split-piece", "directory", 1_000_000);
        p.append("caravan.jobs.rs-split.dump.split-tables-larger-than=2M\n");
        p.append("caravan.jobs.rs-split-piece.dump.split-tables-larger-than=2M\n");
        job(p, "rs-bad", "custom", 0);
        p.append("caravan.jobs.rs-bad.source.password-file=\ncaravan.jobs.rs-bad.source.password=wrong\n");
        Files.writeString(HOME.resolve("app.properties"), p);
        RestAssured.port = PORT;
    }

    /** A job of the local stack for a packaged app of its own: retried briefly, each piece of it named. */
    static void job(StringBuilder p, String job, String format, long throttle) {
        job(p, job, format, throttle, DROP);
    }

    static void job(StringBuilder p, String job, String format, long throttle, Path drop) {
        String k = "caravan.jobs." + job + ".";
        p.append(k).append("source.host=127.0.0.1\n").append(k).append("source.port=").append(Stack.SOURCE_PORT).append('\n')
                .append(k).append("source.database=").append(StackResource.sourceDb(job)).append('\n')
                .append(k).append("source.user=").append(Stack.ADMIN).append('\n')
                .append(k).append("source.password-file=").append(Stack.DIR.resolve("secrets/source.password")).append('\n')
                .append(k).append("destination.host=127.0.0.1\n").append(k).append("destination.port=").append(Stack.DESTINATION_PORT).append('\n')
                .append(k).append("destination.database=").append(StackResource.destinationDb(job)).append('\n')
                .append(k).append("destination.user=").append(Stack.ADMIN).append('\n')
                .append(k).append("destination.password-file=").append(Stack.DIR.resolve("secrets/destination.password")).append('\n')
                .append(k).append("intermediate.host=127.0.0.1\n").append(k).append("intermediate.port=").append(Stack.SSH_PORT).append('\n')
                .append(k).append("intermediate.user=caravan-drop\n")
                .append(k).append("intermediate.private-key=").append(Stack.DIR.resolve("client/id_ed25519")).append('\n')
                .append(k).append("intermediate.known-hosts=").append(Stack.DIR.resolve("client/known_hosts")).append('\n')
                .append(k).append("intermediate.drop-dir=").append(drop).append('\n')
                .append(k).append("intermediate.max-bytes-per-second=").append(throttle).append('\n')
                .append(k).append("dump.format=").append(format).append('\n')
                .append(k).append("retry.connection=30s\n").append(k).append("retry.other=5s\n");
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.destroyForcibly();
        }
    }

    @Test
    void killedDuringTheDumpTheRunResumesWithoutRedoingThePrecheck() throws Exception {
        String job = "rs-dump";
        Stack.freshJob(job, 1_500_000);

        start();
        String id = startRun(job);
        JsonPath before = awaitStageRunning(id, "dump");
        kill();
        start();
        JsonPath run = awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(startedAt(run, "precheck")).as("precheck not run again").isEqualTo(startedAt(before, "precheck"));
        assertThat(startedAt(run, "dump")).as("the unfinished dump was taken again").isNotEqualTo(startedAt(before, "dump"));
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        assertThat(log(2)).contains("[" + id + "] was RUNNING when the application stopped");
    }

    @Test
    void killedDuringTheUploadTheRunResumesWithoutDumpingAgainOrResendingFiles() throws Exception {
        String job = "rs-upload";
        Stack.freshJob(job, 200_000);
        // a second big table: the one the sender follows during the dump is finished there
        Stack.execSource(StackResource.sourceDb(job), "CREATE TABLE shop.big2 AS SELECT * FROM shop.big");

        start();
        String id = startRun(job);
        JsonPath before = Api.awaitUploadHalfway(() -> run(id), 1_200_000); // over a second left at 1 MB/s
        kill();
        start();
        JsonPath run = awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(startedAt(run, "dump")).as("no second dump").isEqualTo(startedAt(before, "dump"));
        assertThat(startedAt(run, "manifest")).isEqualTo(startedAt(before, "manifest"));
        assertThat(log(starts)).containsPattern("\\[" + id + "] [1-9]\\d* of \\d+ files already on the intermediate host, not sent again");
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
    }

    /**
     * Starts a run of the job, kills the app as soon as its pipeline journal holds {@code step}
     * (failing if the delivery was complete first), starts it again and waits for the run's end.
     */
    private JsonPath killedWhenTheJournalSays(String job, String step) throws Exception {
        start();
        String id = startRun(job);
        Path journal = HOME.resolve("data/work").resolve(id).resolve("pipeline/journal");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).until(() -> {
            JsonPath r = run(id);
            if ("DONE".equals(Api.stageStatus(r, "upload")) || Api.ENDED.contains(r.getString("status"))) {
                throw new AssertionError("the delivery was complete before the journal said '" + step + "': " + r.prettify());
            }
            return Files.exists(journal) && Files.readString(journal).contains(step);
        });
        kill();
        start();
        return awaitFinished(id);
    }

    @Test
    void killedInTheMiddleOfAPipelinedRestoreTheResumedRunIsExact() throws Exception {
        String job = "rs-pipe";
        pipelineSource(job);

        // a table's data being restored while the rest of the delivery is still on its way
        JsonPath run = killedWhenTheJournalSays(job, "begin data");

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(run.getString("stages.find { it.name == 'prepare' }.detail")).contains("restore.pipelined");
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        assertExact(job);
    }

    @Test
    void killedWhileLoadingTablesInPiecesTheResumedRunIsExact() throws Exception {
        String job = "rs-split";
        pipelineSource(job);

        // a piece being loaded while the rest of the delivery is still on its way
        JsonPath run = killedWhenTheJournalSays(job, "begin piece");

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(run.getString("stages.find { it.name == 'dump' }.detail")).contains("2 tables in pieces");
        // by the restore stage, or all early when the kill came before the dump's end (the resumed run dumps again)
        assertThat(run.getString("stages.find { it.name == 'restore' }.detail"))
                .containsPattern("\\d+ pieces of (2 tables in pieces loaded|tables in pieces with \\d+ indexes and keys restored as the delivery arrived)");
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        assertExact(job);
    }

    @Test
    void aPieceDamagedInTheDropDirectoryIsNotRestoredEarlyAndTheResumedRunIsExact() throws Exception {
        damagedPiece("rs-piece", "\\.part-\\d+\\.dat.*");
    }

    @Test
    void aTablePieceDamagedInTheDropDirectoryIsNotLoadedEarlyAndTheResumedRunIsExact() throws Exception {
        damagedPiece("rs-split-piece", "\\.part-piece-\\d+-\\d+\\.dat.*");
    }

    /** A file matching {@code pattern} changed in the drop directory while it arrives: refused, sent again on resume, exact. */
    private void damagedPiece(String job, String pattern) throws Exception {
        pipelineSource(job);

        start();
        String id = startRun(job);
        Path dump = DROP.resolve(id).resolve("dump");
        Path[] damaged = {null};
        // a table file changed while it is still arriving under its temporary name: the pipeline
        // sees it only once it is renamed, already damaged (an account that can write the drop directory can do this)
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10)).until(() -> {
            if (!Files.isDirectory(dump)) {
                return false;
            }
            try (var files = Files.list(dump)) {
                damaged[0] = files.filter(f -> f.getFileName().toString().matches(pattern))
                        .filter(f -> f.toFile().length() > 65_536).findFirst().orElse(null);
            }
            return damaged[0] != null;
        });
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(damaged[0].toFile(), "rw")) {
            f.seek(1000);
            int b = f.read();
            f.seek(1000);
            f.write(b ^ 0xff);
        }
        damaged[0] = damaged[0].resolveSibling(damaged[0].getFileName().toString().substring(".part-".length()));
        JsonPath failed = Api.awaitStatus(() -> run(id), java.util.Set.of("FAILED", "SUCCEEDED"));
        assertThat(failed.getString("status")).as(failed.prettify()).isEqualTo("FAILED");
        assertThat(failed.getString("error")).contains(damaged[0].getFileName().toString()).contains("SHA-256 mismatch");
        assertThat(log(starts)).contains("dump/" + damaged[0].getFileName() + " in the drop directory is not what the export half sent: not restored before the delivery is complete");

        given().auth().preemptive().basic("it", "restart-pw").post("/api/runs/" + id + "/resume").then().statusCode(202);
        JsonPath run = awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(run.getString("stages.find { it.name == 'restore' }.detail")).contains("restored as the delivery arrived");
        if (job.equals("rs-split-piece")) {
            // the damaged piece, sent again, loaded by the restore stage; the others as they arrived
            assertThat(run.getString("stages.find { it.name == 'restore' }.detail")).containsPattern("[1-9]\\d* pieces of [12] tables? in pieces loaded");
        }
        // the small tables' keys were built right after their data, while the big ones still arrived
        // (the restore stage built only the rest); the checker below finds every index and key
        assertThat(Files.readString(HOME.resolve("data/work").resolve(id).resolve("pipeline/journal")))
                .containsPattern("(?m)^end data [0-9 ]+ post [0-9 ]+$");
        assertThat(run.getString("stages.find { it.name == 'restore' }.detail")).containsPattern("with \\d+ indexes and keys restored");
        assertExact(job);
    }

    /** The sample with two big tables: the upload at 1 MB/s lasts long enough to restore while it goes on. */
    private static void pipelineSource(String job) throws Exception {
        Stack.freshJob(job, 100_000);
        Stack.execSource(StackResource.sourceDb(job), "CREATE TABLE shop.big2 AS SELECT * FROM shop.big");
        Stack.execSource(StackResource.sourceDb(job), "CREATE INDEX ON shop.big2 (id)");
    }

    /** The independent checker: both clusters read directly, nothing of the product's verification trusted. */
    private static void assertExact(String job) throws Exception {
        io.pgcaravan.check.IndependentChecker.Side source = new io.pgcaravan.check.IndependentChecker.Side(Stack.SOURCE_PORT, Stack.ADMIN,
                Stack.sourcePassword(), StackResource.sourceDb(job));
        io.pgcaravan.check.IndependentChecker.Side destination = new io.pgcaravan.check.IndependentChecker.Side(Stack.DESTINATION_PORT,
                Stack.ADMIN, Stack.destinationPassword(), StackResource.destinationDb(job));
        assertThat(io.pgcaravan.check.IndependentChecker.differences(source, destination,
                new io.pgcaravan.check.IndependentChecker.Allow(java.util.Set.of(Stack.ADMIN, "postgres", Stack.PROVIDER), false, java.util.Map.of())))
                .isEmpty();
    }

    @Test
    void oneShotModeRunsTheJobAndExitsWithItsOutcome() throws Exception {
        Stack.freshJob("rs-dump");
        Process ok = launch("-Dcaravan.one-shot.job=rs-dump");
        assertThat(ok.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)).as("exited").isTrue();
        assertThat(ok.exitValue()).isZero();
        assertThat(log(starts)).containsPattern("pg-caravan run rs-dump-\\S+ of job rs-dump: SUCCEEDED");

        Stack.freshJob("rs-bad");
        Process bad = launch("-Dcaravan.one-shot.job=rs-bad");
        assertThat(bad.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)).as("exited").isTrue();
        assertThat(bad.exitValue()).isEqualTo(1);
        assertThat(log(starts)).containsPattern("pg-caravan run rs-bad-\\S+ of job rs-bad: FAILED - precheck: precheck failed: source.connection");
    }

    private Process launch(String... properties) throws Exception {
        starts++;
        List<String> cmd = new java.util.ArrayList<>(List.of("java", "@config/jvm.options", "-Dquarkus.config.locations=" + HOME.resolve("app.properties")));
        cmd.addAll(List.of(properties));
        cmd.addAll(List.of("-jar", Path.of("target/quarkus-app/quarkus-run.jar").toString()));
        app = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(HOME.resolve(test + "-" + starts + ".log").toFile()).start();
        return app;
    }

    private void start() throws Exception {
        launch();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!app.isAlive()) {
                throw new AssertionError("the application exited: " + log(starts));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + PORT + "/q/health/ready").toURL().openConnection();
                return c.getResponseCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** SIGKILL: no shutdown hook, no chance to tidy up. */
    private void kill() throws InterruptedException {
        app.destroyForcibly();
        app.waitFor();
    }

    private String log(int start) throws IOException {
        return Files.readString(HOME.resolve(test + "-" + start + ".log"));
    }

    private static String startRun(String job) {
        return given().auth().preemptive().basic("it", "restart-pw").contentType("application/json").body("{}")
                .post("/api/jobs/" + job + "/runs").then().statusCode(202).extract().path("id");
    }

    private static JsonPath run(String id) {
        return given().auth().preemptive().basic("it", "restart-pw").get("/api/runs/" + id).then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath awaitStageRunning(String id, String stage) {
        return Api.awaitStageRunning(() -> run(id), stage);
    }

    private static JsonPath awaitFinished(String id) {
        return Api.awaitStatus(() -> run(id), Api.ENDED);
    }

    private static String startedAt(JsonPath run, String stage) {
        return run.getString("stages.find { it.name == '" + stage + "' }.startedAt");
    }
}

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

    @BeforeAll
    static void configure() throws Exception {
        StackResource.deleteTree(HOME);
        StackResource.deleteTree(DROP);
        Files.createDirectories(HOME);
        Files.createDirectories(DROP);
        Files.setOwner(DROP, DROP.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("caravan-drop"));
        StringBuilder p = new StringBuilder();
        p.append("caravan.data-dir=").append(HOME.resolve("data")).append('\n')
                .append("quarkus.http.port=").append(PORT).append('\n')
                .append("caravan.import.drop-dir=").append(DROP).append('\n')
                .append("caravan.import.poll-delay-ms=200\n")
                .append("caravan.api.users.it.password=restart-pw\ncaravan.api.users.it.roles=operator,viewer\n")
                .append("caravan.retry.enforce-ranges=false\ncaravan.retry.initial-delay-ms=200\ncaravan.retry.max-delay-ms=1000\n");
        job(p, "rs-dump", "custom", 0);
        job(p, "rs-upload", "directory", 1_000_000);
        job(p, "rs-bad", "custom", 0);
        p.append("caravan.jobs.rs-bad.source.password-file=\ncaravan.jobs.rs-bad.source.password=wrong\n");
        Files.writeString(HOME.resolve("app.properties"), p);
        RestAssured.port = PORT;
    }

    private static void job(StringBuilder p, String job, String format, long throttle) {
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
                .append(k).append("intermediate.drop-dir=").append(DROP).append('\n')
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
        app = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(HOME.resolve("app-" + starts + ".log").toFile()).start();
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
        return Files.readString(HOME.resolve("app-" + start + ".log"));
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

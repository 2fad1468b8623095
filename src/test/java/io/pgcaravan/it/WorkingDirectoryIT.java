package io.pgcaravan.it;

import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged application as a user who installed it runs it: from a directory of their own that
 * holds nothing but config/application.properties. Its routes come from the jar; a directory of
 * routes of the user's own can be loaded as well.
 */
class WorkingDirectoryIT {

    static final Path HOME = Path.of("target/workdir-it").toAbsolutePath();
    static final Path DROP = Stack.DIR.resolve("drop/workdir-it");
    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
    static final int PORT = 8095;
    static final String JOB = "wd-sample";

    private Process app;

    @BeforeAll
    static void clean() throws Exception {
        StackResource.deleteTree(HOME);
        StackResource.freshDropDir(DROP);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (app != null) {
            app.destroy();
            app.waitFor();
        }
    }

    @Test
    void migratesFromADirectoryHoldingOnlyItsConfiguration() throws Exception {
        Path dir = HOME.resolve("plain");
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/application.properties"), configuration(""));
        Stack.freshJob(JOB);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("config");
        }

        start(dir);
        JsonPath run = runToEnd();

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        try (Connection c = Stack.destination(StackResource.destinationDb(JOB)); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM shop.customers")) {
            rs.next();
            assertThat(rs.getLong(1)).isPositive();
        }
        // its state went where its configuration said, relative to its own working directory
        assertThat(dir.resolve("data")).isDirectory();
        assertThat(dir.resolve("routes")).doesNotExist();
    }

    /**
     * An import half that keeps no private copy (caravan.import.private-copy=false) still restores
     * a delivery of zstd-compressed table files: from a checked, decompressed copy it makes for
     * that delivery alone, while the drop directory keeps what was delivered.
     */
    @Test
    void withoutAPrivateCopyAZstdDeliveryIsRestoredFromACheckedCopyAllTheSame() throws Exception {
        Path dir = HOME.resolve("no-copy");
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/application.properties"),
                configuration("caravan.import.private-copy=false\ncaravan.jobs." + JOB + ".dump.zstd-level=1\n"));
        Stack.freshJob(JOB, 100_000);

        start(dir);
        JsonPath run = runToEnd();
        String id = run.getString("id");

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(JOB)).as("the independent checker").isEmpty();
        assertThat(run.getString("stages.find { it.name == 'dump' }.detail")).contains("zstd level 1 as sent");
        assertThat(run.getString("stages.find { it.name == 'checksum' }.detail")).endsWith("and copied into the work directory");
        try (var drop = Files.list(DROP.resolve(id).resolve("dump"))) {
            assertThat(drop.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("toc.")).toList())
                    .as("the drop directory keeps the delivery as it came").isNotEmpty().allMatch(n -> n.endsWith(".dat.zst"));
        }
        try (var copy = Files.list(dir.resolve("data/work").resolve(id).resolve("delivery/dump"))) {
            assertThat(copy.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("toc.")).toList())
                    .as("what was restored: decompressed").isNotEmpty().allMatch(n -> n.matches("\\d+\\.dat"));
        }
    }

    @Test
    void loadsADirectoryOfRoutesOfItsOwnBesideThePackagedOnes() throws Exception {
        Path dir = HOME.resolve("extra");
        Files.createDirectories(dir.resolve("config"));
        Files.createDirectories(dir.resolve("my-routes"));
        Files.writeString(dir.resolve("my-routes/notify.yaml"), """
                - route:
                    id: my-own-route
                    from:
                      uri: timer:my-own?repeatCount=1
                      steps:
                        - log: "my own route ran beside the packaged ones"
                """);
        Files.writeString(dir.resolve("config/application.properties"),
                configuration("camel.main.routes-include-pattern=classpath:routes/*.yaml,file:my-routes/*.yaml\n"));

        start(dir);

        await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(log(dir)).contains("my own route ran beside the packaged ones"));
        // the packaged pipeline is there too: readiness waits for its routes
        assertThat(given().port(PORT).get("/q/health/ready").then().extract().asString()).contains("UP");
    }

    /** A run of the job started over the API, once it has ended. */
    private static JsonPath runToEnd() {
        String id = given().port(PORT).auth().preemptive().basic("wd", "wd-pw").contentType("application/json").body("{}")
                .post("/api/jobs/" + JOB + "/runs").then().statusCode(202).extract().path("id");
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(
                () -> given().port(PORT).auth().preemptive().basic("wd", "wd-pw").get("/api/runs/" + id)
                        .then().statusCode(200).extract().jsonPath(),
                r -> List.of("SUCCEEDED", "FAILED").contains(r.getString("status")));
    }

    private void start(Path dir) throws Exception {
        app = new ProcessBuilder("java", "-Xmx128m", "-XX:+UseSerialGC", "-jar", JAR.toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log(dir).toFile()).start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!app.isAlive()) {
                throw new AssertionError("the application exited: " + Files.readString(log(dir)));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + PORT + "/q/health/ready").toURL().openConnection();
                return c.getResponseCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static Path log(Path dir) {
        return dir.getParent().resolve(dir.getFileName() + ".log");
    }

    /** One file, as a user writes it: relative paths for the app's own state, absolute ones for the stack's keys. */
    private static String configuration(String extra) {
        String k = "caravan.jobs." + JOB + ".";
        return "caravan.data-dir=./data\n"
                + "quarkus.http.port=" + PORT + "\n"
                + "caravan.import.drop-dir=" + DROP + "\n"
                + "caravan.import.poll-delay-ms=200\n"
                + "caravan.api.users.wd.password=wd-pw\ncaravan.api.users.wd.roles=operator,viewer\n"
                + k + "source.host=127.0.0.1\n" + k + "source.port=" + Stack.SOURCE_PORT + "\n"
                + k + "source.database=" + StackResource.sourceDb(JOB) + "\n"
                + k + "source.user=" + Stack.ADMIN + "\n"
                + k + "source.password-file=" + Stack.DIR.resolve("secrets/source.password") + "\n"
                + k + "destination.host=127.0.0.1\n" + k + "destination.port=" + Stack.DESTINATION_PORT + "\n"
                + k + "destination.database=" + StackResource.destinationDb(JOB) + "\n"
                + k + "destination.user=" + Stack.ADMIN + "\n"
                + k + "destination.password-file=" + Stack.DIR.resolve("secrets/destination.password") + "\n"
                + k + "intermediate.host=127.0.0.1\n" + k + "intermediate.port=" + Stack.SSH_PORT + "\n"
                + k + "intermediate.user=caravan-drop\n"
                + k + "intermediate.private-key=" + Stack.DIR.resolve("client/id_ed25519") + "\n"
                + k + "intermediate.known-hosts=" + Stack.DIR.resolve("client/known_hosts") + "\n"
                + k + "intermediate.drop-dir=" + DROP + "\n"
                + extra;
    }
}

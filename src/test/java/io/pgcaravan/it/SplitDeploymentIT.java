package io.pgcaravan.it;

import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two agents on one machine, as on a source server and an intermediate host: the export agent has
 * the source's and the SFTP host's credentials only, the import agent the destination's and the
 * drop directory only. The drop directory is their only channel. Neither runs as root: both are
 * the local stack's user "caravan", which reaches the drop directory through its group.
 */
class SplitDeploymentIT {

    static final Path HOME = Path.of("target/split-it").toAbsolutePath();
    static final Path DROP = Stack.DIR.resolve("drop/split-it");
    static final String JOB = "it-split";

    /** Both agents run as the local stack's unprivileged user "caravan", as they would in a deployment. */
    static final String APP_USER = "caravan";
    private final AppProcess exporter = new AppProcess("export", HOME, 8101, "it", "split-pw").as(APP_USER);
    private final AppProcess importer = new AppProcess("import", HOME, 8102, "it", "split-pw").as(APP_USER);

    @BeforeAll
    static void configure() throws Exception {
        StackResource.deleteTree(HOME);
        Files.createDirectories(HOME);
        StackResource.freshDropDir(DROP);
        var users = DROP.getFileSystem().getUserPrincipalLookupService();
        // group caravan-drop (the drop directory's setgid) may write in it: the app is in that group
        Files.setPosixFilePermissions(DROP, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwx---"));
        for (String data : List.of("export-data", "import-data")) {
            Files.setOwner(Files.createDirectories(HOME.resolve(data)), users.lookupPrincipalByName(APP_USER));
        }
        // the two agents share the key deliveries are signed with
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Files.writeString(HOME.resolve("delivery.key"), java.util.HexFormat.of().formatHex(key) + "\n");
        Files.setOwner(HOME.resolve("delivery.key"), users.lookupPrincipalByName(APP_USER));
        Files.setPosixFilePermissions(HOME.resolve("delivery.key"), java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
        String common = "caravan.delivery.key-file=" + HOME.resolve("delivery.key") + "\n"
                + "caravan.api.users.it.password=split-pw\ncaravan.api.users.it.roles=operator,viewer\n"
                + "caravan.retry.enforce-ranges=false\ncaravan.retry.initial-delay-ms=200\ncaravan.retry.max-delay-ms=1000\n"
                + "caravan.jobs." + JOB + ".retry.connection=60s\ncaravan.jobs." + JOB + ".retry.other=5s\n";
        String k = "caravan.jobs." + JOB + ".";
        // the export agent: the source and the intermediate host, nothing of the destination
        Files.writeString(HOME.resolve("export.properties"), common
                + "caravan.role=export\ncaravan.data-dir=" + HOME.resolve("export-data") + "\nquarkus.http.port=8101\n"
                + "caravan.export.poll-delay-ms=300\n"
                + k + "source.host=127.0.0.1\n" + k + "source.port=" + Stack.SOURCE_PORT + "\n"
                + k + "source.database=" + StackResource.sourceDb(JOB) + "\n" + k + "source.user=" + Stack.ADMIN + "\n"
                + k + "source.password-file=" + Stack.DIR.resolve("secrets/source.password") + "\n"
                + k + "intermediate.host=127.0.0.1\n" + k + "intermediate.port=" + Stack.SSH_PORT + "\n"
                + k + "intermediate.user=caravan-drop\n"
                + k + "intermediate.private-key=" + Stack.DIR.resolve("client/id_ed25519") + "\n"
                + k + "intermediate.known-hosts=" + Stack.DIR.resolve("client/known_hosts") + "\n"
                + k + "intermediate.drop-dir=" + DROP + "\n"
                // the import agent is another user than the SFTP account, in its group
                + k + "intermediate.group-access=true\n");
        // the import agent: the drop directory and the destination, nothing of the source
        Files.writeString(HOME.resolve("import.properties"), common
                + "caravan.role=import\ncaravan.data-dir=" + HOME.resolve("import-data") + "\nquarkus.http.port=8102\n"
                + "caravan.import.drop-dir=" + DROP + "\ncaravan.import.poll-delay-ms=300\n"
                + "caravan.import.retention=3s\ncaravan.import.retention-sweep-ms=1000\n"
                + k + "destination.host=127.0.0.1\n" + k + "destination.port=" + Stack.DESTINATION_PORT + "\n"
                + k + "destination.database=" + StackResource.destinationDb(JOB) + "\n" + k + "destination.user=" + Stack.ADMIN + "\n"
                + k + "destination.password-file=" + Stack.DIR.resolve("secrets/destination.password") + "\n");
    }

    @AfterEach
    void stop() throws Exception {
        exporter.kill();
        importer.kill();
    }

    @Test
    void aRunStartedOnTheExportAgentIsImportedAndItsVerdictComesBack() throws Exception {
        Stack.freshJob(JOB);
        exporter.start();
        importer.start();
        assertThat(exporter.runningAs()).isEqualTo(APP_USER);
        assertThat(importer.runningAs()).isEqualTo(APP_USER);

        // each agent knows its own side only
        exporter.api().get("/api/jobs/" + JOB).then().statusCode(200)
                .body("destination", org.hamcrest.Matchers.nullValue()).body("source.database", org.hamcrest.Matchers.equalTo("it_split_src"));
        importer.api().get("/api/jobs/" + JOB).then().statusCode(200)
                .body("source", org.hamcrest.Matchers.nullValue()).body("intermediate", org.hamcrest.Matchers.nullValue());
        List<String> exportChecks = exporter.api().post("/api/jobs/" + JOB + "/precheck").then().statusCode(200).extract().jsonPath().getList("items.item");
        assertThat(exportChecks).contains("source.connection", "intermediate.connection").noneMatch(i -> i.startsWith("destination."));
        importer.api().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs").then().statusCode(409);

        String id = exporter.api().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs")
                .then().statusCode(202).extract().path("id");
        JsonPath run = awaitEnd(exporter, id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(run.getList("stages.status", String.class)).containsOnly("DONE");
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        // the import agent's precheck items came back with the verdict
        assertThat(run.getList("precheck.item", String.class)).contains("source.connection", "destination.connection",
                "destination.privileges", "destination.locale", "tools.pg_restore", "tools.verification");
        // the export agent's staging copy goes once the import agent reports success
        assertThat(HOME.resolve("export-data/staging").resolve(id)).doesNotExist();
        // the import agent lists the run it processed
        JsonPath imported = importer.run(id);
        assertThat(imported.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(imported.getString("trigger")).isEqualTo("delivery");
        // and, the retention spent, cleans its delivery out of the drop directory
        await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(DROP.resolve(id)));
        // with the checked copy of it the import agent restored from (as the app's user, 0700)
        assertThat(HOME.resolve("import-data/work").resolve(id).resolve("delivery")).doesNotExist();
        assertThat(exporter.lastLog()).doesNotContain("it_split_dst");
    }

    @Test
    void anImportAgentStartedAfterTheUploadProcessesTheDelivery() throws Exception {
        Stack.freshJob(JOB);
        exporter.start();

        String id = exporter.api().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs")
                .then().statusCode(202).extract().path("id");
        await().atMost(Duration.ofMinutes(2)).until(() -> "DONE".equals(Api.stageStatus(exporter.run(id), "upload")));
        Thread.sleep(1500);
        JsonPath waiting = exporter.run(id);
        assertThat(waiting.getString("status")).isEqualTo("RUNNING");
        assertThat(Api.stageStatus(waiting, "checksum")).isEqualTo("PENDING");

        importer.start();
        JsonPath run = awaitEnd(exporter, id);
        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
    }

    @Test
    void anImportAgentKilledDuringTheRestoreFinishesTheRunWhenItIsBack() throws Exception {
        Stack.freshJob(JOB, 1_000_000);
        exporter.start();
        importer.start();

        String id = exporter.api().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs")
                .then().statusCode(202).extract().path("id");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> "RUNNING".equals(Api.stageStatus(importer.run(id), "restore")));
        importer.kill();
        importer.start();

        JsonPath run = awaitEnd(exporter, id);
        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        Map<String, Object> big = run.getMap("verification.tables.find { it.table == 'big' }");
        assertThat(big.get("destinationRows")).isEqualTo(1_000_000);
        assertThat(importer.lastLog()).contains("[" + id + "] was RUNNING when the application stopped");
    }

    /**
     * Finding 11 of issue 16, split: a file damaged on the intermediate host fails the import
     * agent's checksum stage; resumed on the export agent, which has the staging copy, the damaged
     * file goes up again with a new list and marker, the import agent checks the delivery again and
     * restores it, and the verdict comes back.
     */
    @Test
    void aDeliveryDamagedOnTheHostIsSentAgainByTheExportAgentsResume() throws Exception {
        Stack.freshJob(JOB);
        exporter.start();
        String id = exporter.api().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs")
                .then().statusCode(202).extract().path("id");
        await().atMost(Duration.ofMinutes(2)).until(() -> "DONE".equals(Api.stageStatus(exporter.run(id), "upload")));
        Path damaged = damage(DROP.resolve(id));
        String name = DROP.resolve(id).relativize(damaged).toString();

        importer.start();
        JsonPath failed = awaitEnd(exporter, id);
        assertThat(failed.getString("status")).isEqualTo("FAILED");
        assertThat(Api.stageStatus(failed, "checksum")).isEqualTo("FAILED");
        assertThat(failed.getString("error")).contains(name + ": SHA-256 mismatch");
        assertThat(Stack.destinationExists(StackResource.destinationDb(JOB))).as("nothing restored").isFalse();

        exporter.api().post("/api/runs/" + id + "/resume").then().statusCode(202);
        JsonPath run = awaitEnd(exporter, id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(importer.run(id).getString("status")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(JOB)).as("the independent checker").isEmpty();
        assertThat(exporter.api().get("/api/runs/" + id + "/log").then().extract().asString())
                .contains("sending " + name + " again from the staging copy")
                .contains("sending 3 files again after the delivery failed its checksums");
        assertThat(importer.api().get("/api/runs/" + id + "/log").then().extract().asString())
                .contains("delivered again after its checksums failed: checking it again");
    }

    /** Flips one byte of the delivery's dump (its first table file, in directory format) on the host. */
    private static Path damage(Path delivery) throws Exception {
        Path dump = delivery.resolve("dump");
        Path target = dump;
        if (Files.isDirectory(dump)) {
            try (var files = Files.list(dump)) {
                target = files.filter(p -> p.getFileName().toString().matches("\\d+\\.dat(\\.gz|\\.zst)?"))
                        .filter(p -> p.toFile().length() > 0).sorted().findFirst().orElseThrow();
            }
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(target.toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
        return target;
    }

    private static JsonPath awaitEnd(AppProcess agent, String id) {
        JsonPath[] last = new JsonPath[1];
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300)).until(() -> {
            last[0] = agent.run(id);
            return Api.ENDED.contains(last[0].getString("status"));
        });
        return last[0];
    }
}

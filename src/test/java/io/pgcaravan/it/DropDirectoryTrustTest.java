package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drop directory is a trust boundary: what the SFTP account can place there (here with
 * nothing but SFTP, as that account) never makes the app read or write outside it. A delivery
 * holding a symbolic link is refused before anything of it is read: its checksum list or a data
 * file linked to a file elsewhere, the delivery directory itself a link to a directory elsewhere;
 * and links planted where the app writes its own files are replaced, never written through.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class DropDirectoryTrustTest {

    static final List<TestJob> JOBS = List.of(TestJob.named("it-trust"));
    static final Path OUTSIDE = Stack.DIR.resolve("outside");

    private static String good;
    private String canary;
    private Path secret;

    @BeforeEach
    void outside() throws Exception {
        Files.createDirectories(OUTSIDE);
        canary = "CANARY-SECRET-" + UUID.randomUUID();
        secret = Files.writeString(OUTSIDE.resolve("secret-" + UUID.randomUUID()), canary + "\n");
    }

    @Test
    void aChecksumListLinkedToAFileOutsideIsRefusedAndItsContentAppearsNowhere() throws Exception {
        String id = newId();
        try (DropUser drop = new DropUser()) {
            String tmp = deliveryWithoutList(drop, id);
            drop.symlink(secret.toString(), tmp + "/sha256");
            drop.put(tmp + "/DONE", sha256(secret) + "  sha256\n");
            drop.rename(tmp, remote(id));
        }
        assertRefused(id);
        assertThat(secret).hasContent(canary + "\n");
    }

    @Test
    void aDataFileLinkedToAFileOutsideIsRefusedThoughItsChecksumIsRight() throws Exception {
        String id = newId();
        Path copy = Files.copy(Stack.checked(good()).resolve("dump"), OUTSIDE.resolve("dump-" + UUID.randomUUID()));
        try (DropUser drop = new DropUser()) {
            String tmp = remote(id) + ".tmp";
            drop.mkdir(tmp);
            drop.put(tmp + "/manifest.json", manifest(id));
            drop.symlink(copy.toString(), tmp + "/dump");
            String list = sha256(copy) + "  dump\n" + sha256(manifest(id)) + "  manifest.json\n";
            drop.put(tmp + "/sha256", list);
            drop.put(tmp + "/DONE", sha256(list) + "  sha256\n");
            drop.rename(tmp, remote(id));
        }
        assertRefused(id);
        assertThat(Stack.destinationExists(StackResource.destinationDb("it-trust") + "_never")).isFalse();
    }

    @Test
    void aDeliveryDirectoryThatIsALinkToADirectoryOutsideIsNotAdoptedAndNothingIsWrittenThere() throws Exception {
        String id = newId();
        Path fake = Files.createDirectories(OUTSIDE.resolve("fake-" + UUID.randomUUID()));
        Files.copy(Stack.checked(good()).resolve("dump"), fake.resolve("dump"));
        Files.writeString(fake.resolve("manifest.json"), manifest(id));
        String list = sha256(fake.resolve("dump")) + "  dump\n" + sha256(fake.resolve("manifest.json")) + "  manifest.json\n";
        Files.writeString(fake.resolve("sha256"), list);
        Files.writeString(fake.resolve("DONE"), sha256(list) + "  sha256\n");
        try (DropUser drop = new DropUser()) {
            drop.symlink(fake.toString(), remote(id));
        }
        assertRefused(id);
        try (Stream<Path> files = Files.list(fake)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("dump", "manifest.json", "sha256", "DONE");
        }
    }

    @Test
    void linksPlantedWhereTheAppWritesItsOwnFilesAreNeverWrittenThrough() throws Exception {
        Stack.freshJob("it-trust");
        String id = Api.startRun("it-trust");
        Path delivery = Stack.DROP.resolve(id);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).pollInterval(java.time.Duration.ofMillis(10))
                .until(() -> Files.isDirectory(delivery));
        List<Path> victims = new java.util.ArrayList<>();
        try (DropUser drop = new DropUser()) {
            for (String name : List.of(".writing-status.json", ".writing-report.json", ".writing-report.html", ".writing-result.json")) {
                Path victim = Files.writeString(OUTSIDE.resolve("victim-" + UUID.randomUUID()), "victim\n");
                victims.add(victim);
                drop.symlink(victim.toString(), remote(id) + "/" + name);
            }
        }
        JsonPath run = Api.awaitFinished(id);

        for (Path victim : victims) {
            assertThat(victim).as("a file outside the drop directory").hasContent("victim\n");
        }
        if (run.getString("status").equals("FAILED")) {
            // the links were there before the import half looked: the delivery itself is refused
            assertThat(run.getString("error")).contains("symbolic link");
        } else {
            assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
        }
        assertThat(Files.isRegularFile(delivery.resolve("result.json"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test
    void aChecksumListsContentNeverReachesAnErrorALogOrAReport() throws Exception {
        String id = newId();
        try (DropUser drop = new DropUser()) {
            String tmp = deliveryWithoutList(drop, id);
            // signed, and naming its manifest (so it is adopted), with one more line that is no checksum line
            String list = canary + "\n" + sha256(manifest(id)) + "  manifest.json\n";
            drop.put(tmp + "/sha256", list);
            drop.put(tmp + "/DONE", Signed.done(id, "it-trust", sha256(list)));
            drop.rename(tmp, remote(id));
        }
        JsonPath run = Api.awaitStatus(id, java.util.Set.of("FAILED", "SUCCEEDED"));

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error")).contains("line 1 of sha256 is not").doesNotContain(canary);
        assertThat(Api.viewer().get("/api/runs").asString()).doesNotContain(canary);
        assertThat(Api.viewer().get("/api/runs/" + id + "/report").asString()).doesNotContain(canary);
        assertThat(Files.readString(StackResource.TEST_DATA.resolve("caravan.log"))).doesNotContain(canary);
        assertThat(Files.readString(Stack.DROP.resolve(id).resolve("result.json"))).doesNotContain(canary);
    }

    /**
     * Whoever can write to the drop directory cannot restart a run: an ended run's result taken
     * away and its marker written again make it neither restore again nor run again; its verdict is
     * written back (for an export agent waiting on it).
     */
    @Test
    void aMarkerWrittenAgainForAnEndedRunRestartsNothingAndGetsItsVerdictBack() throws Exception {
        String id = good();
        String restoredAt = Api.run(id).getString("stages.find { it.name == 'restore' }.finishedAt");
        String done = Files.readString(Stack.DROP.resolve(id).resolve("DONE"));
        try (DropUser drop = new DropUser()) {
            drop.rm(remote(id) + "/result.json");
            drop.rm(remote(id) + "/DONE");
            Thread.sleep(1100); // a new modification time, to the second
            drop.put(remote(id) + "/DONE", done);
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> Files.exists(Stack.DROP.resolve(id).resolve("result.json")));

        JsonPath result = JsonPath.from(Stack.DROP.resolve(id).resolve("result.json").toFile());
        assertThat(result.getString("status")).isEqualTo("SUCCEEDED");
        JsonPath run = Api.run(id);
        assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(run.getString("stages.find { it.name == 'restore' }.finishedAt")).as("not restored again").isEqualTo(restoredAt);
        assertThat(Api.viewer().get("/api/runs/" + id + "/log").asString())
                .contains("delivered again, not imported again: its verdict SUCCEEDED is written back");
    }

    /** A delivery whose files are all right but that the export half did not sign. */
    @Test
    void anUnsignedDeliveryIsNotAdoptedAndTheRefusalIsRecorded() throws Exception {
        String id = newId();
        signedDelivery(id, list -> sha256(list) + "  sha256\n");
        assertRefused(id);
        assertThat(StackResource.TEST_DATA.resolve("refused").resolve(id)).content().contains("not signed");
        assertThat(Stack.DROP.resolve(id).resolve("dump")).as("left as it is").exists();
    }

    @Test
    void aDeliverySignedWithAnotherKeyIsNotAdopted() throws Exception {
        String id = newId();
        byte[] other = new byte[32];
        new java.security.SecureRandom().nextBytes(other);
        signedDelivery(id, list -> Signed.done(other, id, "it-trust", sha256(list)));
        assertRefused(id);
        assertThat(StackResource.TEST_DATA.resolve("refused").resolve(id)).content().contains("a key this agent does not trust");
    }

    @Test
    void aSignatureMadeForAnotherRunOrJobIsNotAdopted() throws Exception {
        String id = newId();
        String another = id.substring(0, id.length() - 6) + (id.endsWith("fedcba") ? "abcdef" : "fedcba");
        signedDelivery(id, list -> Signed.done(another, "it-trust", sha256(list)));
        assertRefused(id);
        assertThat(StackResource.TEST_DATA.resolve("refused").resolve(id)).content().contains("does not match this run");

        String other = newId();
        signedDelivery(other, list -> Signed.done(other, "it-corrupt", sha256(list)));
        assertRefused(other);
    }

    /** Signed, but its list does not name the manifest lying next to it: the run's job and options would be unvouched for. */
    @Test
    void aDeliveryWhoseSignedListDoesNotNameItsManifestIsNotAdopted() throws Exception {
        String id = newId();
        try (DropUser drop = new DropUser()) {
            String tmp = deliveryWithoutList(drop, id);
            String list = sha256(Stack.checked(good()).resolve("dump")) + "  dump\n";
            drop.put(tmp + "/sha256", list);
            drop.put(tmp + "/DONE", Signed.done(id, "it-trust", sha256(list)));
            drop.rename(tmp, remote(id));
        }
        assertRefused(id);
        assertThat(StackResource.TEST_DATA.resolve("refused").resolve(id)).content().contains("manifest is not the one");
    }

    interface Marker {
        String of(String list) throws Exception;
    }

    /** A complete delivery of a copy of the good one, under this run id, with the DONE marker given. */
    private void signedDelivery(String id, Marker done) throws Exception {
        try (DropUser drop = new DropUser()) {
            String tmp = deliveryWithoutList(drop, id);
            String list = sha256(Stack.checked(good()).resolve("dump")) + "  dump\n" + sha256(manifest(id)) + "  manifest.json\n";
            drop.put(tmp + "/sha256", list);
            drop.put(tmp + "/DONE", done.of(list));
            drop.rename(tmp, remote(id));
        }
    }

    // ---- helpers ----

    /** A delivery of it-trust that went through, to copy the dump of (made once). */
    private static synchronized String good() throws Exception {
        if (good == null) {
            Stack.freshJob("it-trust");
            good = Api.startRun("it-trust");
            assertThat(Api.awaitFinished(good).getString("status")).isEqualTo("SUCCEEDED");
        }
        return good;
    }

    private String deliveryWithoutList(DropUser drop, String id) throws Exception {
        String tmp = remote(id) + ".tmp";
        drop.mkdir(tmp);
        drop.put(tmp + "/manifest.json", manifest(id));
        drop.putFile(Stack.checked(good()).resolve("dump"), tmp + "/dump");
        return tmp;
    }

    private static String manifest(String id) throws Exception {
        return Files.readString(Stack.DROP.resolve(good()).resolve("manifest.json")).replace(good(), id);
    }

    private static String remote(String id) {
        return Stack.DROP.resolve(id).toString();
    }

    private static String newId() {
        return "it-trust-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC)) + "-"
                + UUID.randomUUID().toString().substring(0, 6).replaceAll("[^0-9a-f]", "a");
    }

    /** Not adopted as a run, refused in the log, nothing of the app's written into it, and the canary nowhere the app writes. */
    private void assertRefused(String id) throws Exception {
        Path log = StackResource.TEST_DATA.resolve("caravan.log");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> Files.readString(log).contains("refusing delivery " + id));
        Thread.sleep(1000);
        Api.viewer().get("/api/runs/" + id).then().statusCode(404);
        assertThat(Api.viewer().get("/api/runs").asString()).doesNotContain(canary).doesNotContain(id);
        assertThat(Files.readString(log)).doesNotContain(canary);
        for (String own : List.of("status.json", "result.json", "report.json", "report.html")) {
            assertThat(Files.exists(Stack.DROP.resolve(id).resolve(own), LinkOption.NOFOLLOW_LINKS)).as(own).isFalse();
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}

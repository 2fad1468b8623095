package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A delivery damaged on the intermediate host is refused by the SHA-256 check; nothing is restored. */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class CorruptDeliveryTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-corrupt"));

    @Test
    void flippedByteInTheDumpIsRefusedBeforeRestore() throws Exception {
        String job = "it-corrupt";
        Stack.freshJob(job);
        String good = Api.startRun(job);
        assertThat(Api.awaitFinished(good).getString("status")).isEqualTo("SUCCEEDED");
        Stack.dropDestination(StackResource.destinationDb(job));

        // the same delivery again under a new run id, with one byte of the dump flipped on the way
        String id = job + "-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC)) + "-c0ffee";
        deliverAgain(good, id, true, null);

        JsonPath run = Api.awaitStatus(id, Set.of("FAILED", "SUCCEEDED"));

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(Api.stageStatus(run, "checksum")).isEqualTo("FAILED");
        assertThat(Api.stageStatus(run, "restore")).isEqualTo("PENDING");
        assertThat(run.getString("error")).contains("dump: SHA-256 mismatch, expected");
        assertThat(Stack.destinationExists(StackResource.destinationDb(job))).as("nothing restored").isFalse();
        JsonPath result = JsonPath.from(Stack.DROP.resolve(id).resolve("result.json").toFile());
        assertThat(result.getString("status")).isEqualTo("FAILED");
        assertThat(result.getString("error")).contains("SHA-256 mismatch");
    }

    @Test
    void aChecksumListNamingFilesOutsideTheDeliveryIsRefused() throws Exception {
        String id = "it-corrupt-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC)) + "-0dd0dd";
        Path dir = Stack.DROP.resolve(id + ".tmp");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("manifest.json"), """
                {"formatVersion":1,"runId":"%s","job":"it-corrupt","tables":[]}""".formatted(id));
        Files.writeString(dir.resolve("sha256"), sha256(Path.of("/etc/hostname")) + "  ../../../../etc/hostname\n"
                + sha256(dir.resolve("manifest.json")) + "  manifest.json\n");
        Files.move(dir, Stack.DROP.resolve(id));
        Files.writeString(Stack.DROP.resolve(id).resolve("DONE"), Signed.done(id, "it-corrupt", sha256(Stack.DROP.resolve(id).resolve("sha256"))));

        JsonPath run = Api.awaitStatus(id, Set.of("FAILED", "SUCCEEDED"));

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error")).contains("../../../../etc/hostname: not a file name inside the delivery, refused");
        try (Stream<Path> files = Files.list(Stack.DROP.resolve(id))) {
            assertThat(files.map(p -> p.getFileName().toString())).contains("result.json");
        }
    }

    /**
     * A good run's delivery again under a new run id (signed for it), one byte of its dump flipped
     * if asked; {@code beforeMarker} runs just before the DONE marker is written.
     */
    private static void deliverAgain(String good, String id, boolean flip, ThrowingRunnable beforeMarker) throws Exception {
        Path from = Stack.DROP.resolve(good);
        Path to = Stack.DROP.resolve(id + ".tmp");
        Files.createDirectories(to);
        Files.copy(Stack.checked(good).resolve("dump"), to.resolve("dump")); // (moved out of the drop directory once checked)
        Files.writeString(to.resolve("manifest.json"), Files.readString(from.resolve("manifest.json")).replace(good, id));
        List<String> sums = new ArrayList<>();
        for (String line : Files.readAllLines(from.resolve("sha256"))) {
            if (!line.endsWith("  roles.sql")) { // (gone once that run succeeded)
                sums.add(line.endsWith("  manifest.json") ? sha256(to.resolve("manifest.json")) + "  manifest.json" : line);
            }
        }
        Files.write(to.resolve("sha256"), sums);
        if (flip) {
            byte[] dump = Files.readAllBytes(to.resolve("dump"));
            dump[dump.length / 2] ^= 0x01;
            Files.write(to.resolve("dump"), dump);
        }
        Files.move(to, Stack.DROP.resolve(id));
        if (beforeMarker != null) {
            beforeMarker.run();
        }
        Files.writeString(Stack.DROP.resolve(id).resolve("DONE"), Signed.done(id, "it-corrupt", sha256(Stack.DROP.resolve(id).resolve("sha256"))));
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * Too little room in the work directory for the checked copy: the checksum stage says so before
     * it copies a byte, nothing is restored, and once there is room a resume finishes the run.
     */
    @Test
    void noRoomForTheCheckedCopyIsAClearFailureAndAResumeFinishesTheRun() throws Exception {
        String job = "it-corrupt";
        Stack.freshJob(job);
        String good = Api.startRun(job);
        assertThat(Api.awaitFinished(good).getString("status")).isEqualTo("SUCCEEDED");
        Stack.dropDestination(StackResource.destinationDb(job));
        String id = job + "-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC)) + "-f0110f";
        Path work = StackResource.TEST_DATA.resolve("work").resolve(id);
        try {
            deliverAgain(good, id, false, () -> {
                Files.createDirectories(work);
                Stack.run("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "caravan-it-work", work.toString());
            });
            JsonPath failed = Api.awaitStatus(id, Set.of("FAILED", "SUCCEEDED"));
            assertThat(failed.getString("status")).isEqualTo("FAILED");
            assertThat(Api.stageStatus(failed, "checksum")).isEqualTo("FAILED");
            assertThat(failed.getString("error")).contains("the checked copy of delivery " + id + " needs").contains("free: free some space there");
            assertThat(Stack.destinationExists(StackResource.destinationDb(job))).as("nothing restored").isFalse();
            assertThat(Stack.DROP.resolve(id).resolve("dump")).as("the delivery is as it came").isRegularFile();
        } finally {
            Stack.run("umount", work.toString());
        }
        Files.delete(Stack.DROP.resolve(id).resolve("result.json"));
        Api.operator().post("/api/runs/" + id + "/resume").then().statusCode(202);
        JsonPath run = Api.awaitFinished(id);
        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            md.update(in.readAllBytes());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

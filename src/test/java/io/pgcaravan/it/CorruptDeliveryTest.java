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
        Path from = Stack.DROP.resolve(good);
        Path to = Stack.DROP.resolve(id + ".tmp");
        Files.createDirectories(to);
        Files.copy(Stack.checked(good).resolve("dump"), to.resolve("dump")); // (moved out of the drop directory once checked)
        Files.writeString(to.resolve("manifest.json"), Files.readString(from.resolve("manifest.json")).replace(good, id));
        List<String> sums = new ArrayList<>();
        for (String line : Files.readAllLines(from.resolve("sha256"))) {
            sums.add(line.endsWith("  manifest.json") ? sha256(to.resolve("manifest.json")) + "  manifest.json" : line);
        }
        Files.write(to.resolve("sha256"), sums);
        byte[] dump = Files.readAllBytes(to.resolve("dump"));
        dump[dump.length / 2] ^= 0x01;
        Files.write(to.resolve("dump"), dump);
        Files.move(to, Stack.DROP.resolve(id));
        Files.writeString(Stack.DROP.resolve(id).resolve("DONE"), Signed.done(id, "it-corrupt", sha256(Stack.DROP.resolve(id).resolve("sha256"))));

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

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            md.update(in.readAllBytes());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Finding 11 of issue 16: a delivery damaged on the intermediate host is repaired by a resume, not
 * merely checked again. One byte of a table file is flipped on the host while the rest of the dump
 * is still going up (the upload is throttled, so there is time); the checksum stage fails the run.
 * A resume sends that file again from the staging copy, with the checksum list and the DONE
 * marker, or, when the staging copy was discarded, dumps again. Either way the run ends SUCCEEDED
 * and the independent checker finds the destination equal to the source.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class ResendTest {

    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-resend").directory(2).set("intermediate.max-bytes-per-second", "300000").set("retry.other", "1s"));

    @Test
    void aResumeSendsTheDamagedFileAgainFromTheStagingCopy() throws Exception {
        String job = "it-resend";
        String id = damagedRun(job);
        String flipped = flippedFile(id);

        Api.operator().post("/api/runs/" + id + "/resume").then().statusCode(202);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        String log = log(id);
        assertThat(log).contains("its delivery failed its checksums on the intermediate host: sending " + flipped
                + " again from the staging copy");
        // the damaged file, the list and the marker; nothing else went up twice
        assertThat(log).contains("sending 3 files again after the delivery failed its checksums");
        assertThat(log).doesNotContain("dumping again");
        assertThat(run.getList("attempts.stage", String.class)).contains("checksum");
    }

    @Test
    void withoutAStagingCopyAResumeDumpsAgain() throws Exception {
        String job = "it-resend";
        String id = damagedRun(job);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> Api.operator().delete("/api/runs/" + id + "/staging").statusCode() == 200);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> Api.operator().post("/api/runs/" + id + "/resume").statusCode() == 202);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        assertThat(log(id)).contains("failed its checksums on the intermediate host and its staging copy is gone: dumping again");
        // the new dump's delivery is whole: sha256sum agrees with every file on the host (roles.sql goes once restored)
        Process check = new ProcessBuilder("sha256sum", "--check", "--strict", "--ignore-missing", "sha256")
                .directory(Stack.checked(id).toFile()).redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor()).as(out).isZero();
    }

    /**
     * A file changed after its checksum passed (through a handle the SFTP account held open since
     * before: no path of the drop directory is needed for that) is not what is restored: the
     * checksum stage copied what it checked into the work directory, and the later stages read the
     * copy; the file itself left the drop directory.
     */
    @Test
    void whatIsRestoredIsWhatWasCheckedWhateverHappensToTheDropDirectoryAfterwards() throws Exception {
        String job = "it-resend";
        Stack.freshJob(job, 30_000);
        String id = Api.startRun(job);
        Path dump = Stack.DROP.resolve(id).resolve("dump");
        Path[] found = new Path[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> (found[0] = tableFile(dump).orElse(null)) != null);
        try (java.nio.channels.FileChannel held = java.nio.channels.FileChannel.open(found[0], java.nio.file.StandardOpenOption.WRITE)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> "DONE".equals(Api.stageStatus(Api.run(id), "checksum")));
            byte[] garbage = new byte[1 << 16];
            new java.util.Random(7).nextBytes(garbage);
            held.write(java.nio.ByteBuffer.wrap(garbage), 0);
            held.force(true);
        }
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        assertThat(found[0]).as("moved out of the drop directory once checked").doesNotExist();
        // (a slow link: the table files go zstd-compressed, and the checked copy holds them decompressed)
        assertThat(found[0].getFileName().toString()).endsWith(".dat.zst");
        assertThat(Stack.checked(id).resolve("dump").resolve(found[0].getFileName().toString().replace(".zst", ""))).isRegularFile();
        assertThat(run.getString("stages.find { it.name == 'checksum' }.detail")).endsWith("and copied into the work directory");
    }

    /** A run of the job whose checksum stage failed: one table file flipped on the host while the others go up. */
    private static String damagedRun(String job) throws Exception {
        Stack.freshJob(job, 30_000);
        String id = Api.startRun(job);
        Path dump = Stack.DROP.resolve(id).resolve("dump");
        CompletableFuture<Path> flip = CompletableFuture.supplyAsync(() -> {
            Path[] found = new Path[1];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> {
                found[0] = tableFile(dump).orElse(null);
                return found[0] != null;
            });
            try (RandomAccessFile f = new RandomAccessFile(found[0].toFile(), "rw")) {
                long at = f.length() / 2;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x01);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return found[0];
        });
        JsonPath run = Api.awaitFinished(id);
        Path flipped = flip.get();
        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(Api.stageStatus(run, "checksum")).isEqualTo("FAILED");
        assertThat(Api.stageStatus(run, "restore")).isEqualTo("PENDING");
        assertThat(run.getString("error")).contains("dump/" + flipped.getFileName() + ": SHA-256 mismatch");
        FLIPPED.put(id, "dump/" + flipped.getFileName());
        return id;
    }

    private static final java.util.Map<String, String> FLIPPED = new java.util.concurrent.ConcurrentHashMap<>();

    private static String flippedFile(String id) {
        return FLIPPED.get(id);
    }

    /** A table file that has its final name on the host (complete), if one is there yet. */
    private static Optional<Path> tableFile(Path dump) throws java.io.IOException {
        if (!Files.isDirectory(dump)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dump)) {
            return files.filter(p -> p.getFileName().toString().matches("\\d+\\.dat(\\.gz|\\.zst)?"))
                    .filter(p -> p.toFile().length() > 0).findFirst();
        }
    }

    private static String log(String id) {
        return Api.viewer().get("/api/runs/" + id + "/log").then().extract().asString();
    }
}

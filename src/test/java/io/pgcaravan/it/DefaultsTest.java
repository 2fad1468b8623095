package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job with nothing but its endpoints configured runs the fast path: a parallel, directory-format
 * dump, uncompressed on the loopback link, table files sent while pg_dump runs, the manifest
 * counted meanwhile, and a parallel restore with session settings into the database the run
 * created — and still every checksum and count is exact.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class DefaultsTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            // the defaults: directory format, jobs and compression chosen per machine and link, restore mode auto
            TestJob.named("it-defaults").unset("dump.format", "dump.jobs", "restore.mode", "restore.jobs")
                    .set("restore.settings.work_mem", "32MB"),
            TestJob.named("it-zstd").directory(2).set("dump.zstd-level", "3"));

    private static final String JOB = "it-defaults";

    @Test
    void defaultsDumpInParallelSendEarlyAndRestoreInParallel() throws Exception {
        Stack.freshJob(JOB, 1_000_000); // a dump of seconds, so that the small tables' files go up before it ends
        Stack.execSource(StackResource.sourceDb(JOB), "CREATE TABLE shop.big2 AS SELECT * FROM shop.big; "
                + "CREATE TABLE shop.big3 AS SELECT * FROM shop.big");

        MigrationTest.ProcessWatcher watcher = new MigrationTest.ProcessWatcher();
        watcher.start();
        JsonPath run;
        String id;
        try {
            id = Api.startRun(JOB);
            run = Api.awaitFinished(id);
        } finally {
            watcher.stop();
        }

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(JOB)).as("the independent checker").isEmpty();
        assertThat(run.getString("options.dumpFormat")).isEqualTo("DIRECTORY");
        assertThat(run.getInt("options.dumpJobs")).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(run.getString("options.restoreMode")).isEqualTo("AUTO");
        assertThat(detail(run, "dump")).contains("uncompressed").containsPattern("[1-9]\\d* table files? sent while dumping");
        assertThat(detail(run, "restore")).contains("parallel jobs (into a database this run created or found empty)");
        Map<String, Long> expected = new HashMap<>(MigrationTest.SAMPLE_ROWS);
        expected.put("shop.big", 1_000_000L);
        expected.put("shop.big2", 1_000_000L);
        expected.put("shop.big3", 1_000_000L);
        MigrationTest.assertVerification(run, JOB, expected);
        MigrationTest.assertDelivery(id, true);

        // the checksums of files hashed on their way up during the dump are those of the files, as
        // the checked copy holds them (all but roles.sql, which goes once the run succeeded)
        Path delivery = Stack.checked(id);
        assertThat(delivery.resolve("roles.sql")).doesNotExist();
        assertThat(Stack.DROP.resolve(id).resolve("roles.sql")).doesNotExist();
        Process check = new ProcessBuilder("sha256sum", "--check", "--strict", "--ignore-missing", "sha256").directory(delivery.toFile())
                .redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor()).as(out).isZero();
        assertThat(out).contains("dump/toc.dat: OK").doesNotContain("FAILED");
        assertThat(dataFiles(delivery)).isNotEmpty().allMatch(n -> n.endsWith(".dat"));

        // pg_restore's sessions got their settings through the connection string: the parallel
        // restore's own and the job's (restore.settings.work_mem)
        assertThat(watcher.seen).anyMatch(l -> l.contains("pg_restore") && l.contains("max_parallel_maintenance_workers=0")
                && l.contains("work_mem=32MB"));
    }

    @Test
    void aDatabaseThatHoldsDataIsRestoredInOneTransactionAndCompressionCanBeChosen() throws Exception {
        Stack.freshJob(JOB);
        String dst = StackResource.destinationDb(JOB);
        Stack.execDestination("postgres", "CREATE DATABASE " + dst + " OWNER " + Stack.ADMIN);
        Stack.execDestination(dst, "CREATE TABLE unrelated (id int PRIMARY KEY); INSERT INTO unrelated VALUES (1)");

        String id = Api.startRun(JOB, "{\"dumpCompression\": 1}");
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(detail(run, "restore")).startsWith("single transaction");
        assertThat(detail(run, "dump")).contains("gzip level 1");
        assertThat(dataFiles(Stack.checked(id))).isNotEmpty().allMatch(n -> n.endsWith(".dat.gz"));
        MigrationTest.assertVerification(run, JOB, MigrationTest.SAMPLE_ROWS);
        try (var c = Stack.destination(dst)) {
            assertThat(Stack.countOnly(c, "public.unrelated")).isEqualTo(1);
        }
    }

    /**
     * zstd on the way up: pg_dump writes the table files uncompressed, they are compressed as they
     * are sent, the drop directory holds them as .dat.zst listed with the SHA-256 of what was sent,
     * and the checked copy holds them decompressed, which is what is restored.
     */
    @Test
    void tableFilesGoUpZstdCompressedAndAreRestoredDecompressed() throws Exception {
        String job = "it-zstd";
        Stack.freshJob(job, 300_000);

        String id = Api.startRun(job);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        assertThat(detail(run, "dump")).contains("zstd level 3 as sent");
        MigrationTest.assertVerification(run, job, withBig(300_000));
        Path checked = Stack.checked(id);
        List<String> listed = Files.readAllLines(checked.resolve("sha256")).stream().map(l -> l.split(" {2}", 2)[1])
                .filter(n -> n.startsWith("dump/") && !n.startsWith("dump/toc.")).toList();
        assertThat(listed).isNotEmpty().allMatch(n -> n.matches("dump/\\d+\\.dat\\.zst"));
        assertThat(dataFiles(checked)).containsExactlyInAnyOrderElementsOf(listed.stream()
                .map(n -> n.substring("dump/".length(), n.length() - ".zst".length())).toList());
        // decompressed: COPY text, not zstd frames (magic 28 b5 2f fd)
        for (String n : dataFiles(checked)) {
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(checked.resolve("dump").resolve(n)), 4);
            assertThat(head).as(n).isNotEqualTo(new byte[]{0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
        }
    }

    private static Map<String, Long> withBig(long rows) {
        Map<String, Long> expected = new HashMap<>(MigrationTest.SAMPLE_ROWS);
        expected.put("shop.big", rows);
        return expected;
    }

    @Test
    void anInvalidCompressionLevelIsRefused() {
        Api.operator().contentType("application/json").body("{\"dumpCompression\": 10}")
                .post("/api/jobs/" + JOB + "/runs")
                .then().statusCode(400)
                .body("message", org.hamcrest.Matchers.equalTo("dumpCompression must be a gzip level between 0 (none) and 9, got 10"));
    }

    private static String detail(JsonPath run, String stage) {
        return run.getString("stages.find { it.name == '" + stage + "' }.detail");
    }

    private static List<String> dataFiles(Path delivery) throws Exception {
        try (Stream<Path> files = Files.list(delivery.resolve("dump"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".dat") && !n.startsWith("toc.")).toList();
        }
    }
}

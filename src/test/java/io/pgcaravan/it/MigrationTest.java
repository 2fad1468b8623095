package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Whole runs against the real local stack: real pg_dump, SFTP, pg_restore and counts. */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class MigrationTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-single"),
            TestJob.named("it-parallel").directory(2).restoreMode("parallel"));

    /** The sample's tables and their own rows (audit_log: 300 of its own, its child another 200). */
    static final Map<String, Long> SAMPLE_ROWS = Map.of(
            "shop.customers", 2000L, "shop.orders", 10000L,
            "shop.events_2025", 2772L, "shop.events_2026", 1757L, "shop.events_other", 1471L,
            "shop.audit_log", 300L, "shop.audit_log_archive", 200L);

    @Test
    void singleTransactionRunCopiesAndVerifiesEveryTable() throws Exception {
        String job = "it-single";
        Stack.freshJob(job);

        String id = Api.startRun(job);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(run.getList("stages.status", String.class)).containsOnly("DONE");
        assertVerification(run, job, SAMPLE_ROWS);
        assertDelivery(id, false);
        assertDestinationLikeSource(job);
        // the local staging copy is removed once the run succeeded
        assertThat(StackResource.TEST_DATA.resolve("staging").resolve(id)).doesNotExist();
    }

    @Test
    void parallelRunCopiesAndVerifiesWithoutShowingPasswords() throws Exception {
        String job = "it-parallel";
        Stack.freshJob(job, 400_000); // big enough for pg_dump and pg_restore to be seen running

        ProcessWatcher watcher = new ProcessWatcher();
        watcher.start();
        String id;
        JsonPath run;
        try {
            id = Api.startRun(job);
            run = Api.awaitFinished(id);
        } finally {
            watcher.stop();
        }

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(run.getString("options.restoreMode")).isEqualTo("PARALLEL");
        Map<String, Long> expected = new java.util.HashMap<>(SAMPLE_ROWS);
        expected.put("shop.big", 400000L);
        assertVerification(run, job, expected);
        assertDelivery(id, true);

        // the tools got their passwords from a passfile: never in an argument list or environment
        Set<String> secrets = Set.of(Stack.sourcePassword(), Stack.destinationPassword());
        assertThat(watcher.seen).as("pg_dump and pg_restore were seen running")
                .anyMatch(l -> l.contains("pg_dump") && l.contains("passfile="))
                .anyMatch(l -> l.contains("pg_restore") && l.contains("passfile="));
        for (String seen : watcher.seen) {
            secrets.forEach(s -> assertThat(seen).doesNotContain(s));
        }
        String log = Files.readString(StackResource.TEST_DATA.resolve("caravan.log"));
        assertThat(log).contains("pg_dump: ").contains("pg_restore: ");
        secrets.forEach(s -> assertThat(log).doesNotContain(s));
        // the run's passfiles are gone once it ended
        try (Stream<Path> left = Files.list(StackResource.TEST_DATA.resolve("secrets"))) {
            assertThat(left.map(Path::toString)).noneMatch(n -> n.contains(id));
        }
    }

    /** The verification table lists exactly the tables holding rows, with the source's exact counts. */
    static void assertVerification(JsonPath run, String job, Map<String, Long> expected) throws Exception {
        List<Map<String, Object>> rows = run.getList("verification.tables");
        assertThat(rows).hasSize(expected.size());
        try (Connection src = Stack.source(StackResource.sourceDb(job));
             Connection dst = Stack.destination(StackResource.destinationDb(job))) {
            for (Map<String, Object> row : rows) {
                String table = row.get("schema") + "." + row.get("table");
                long rowsInSource = Stack.countOnly(src, table);
                assertThat(expected).as("unexpected table " + table).containsKey(table);
                assertThat(rowsInSource).as(table).isEqualTo(expected.get(table));
                assertThat(((Number) row.get("sourceRows")).longValue()).as(table).isEqualTo(rowsInSource);
                assertThat(((Number) row.get("destinationRows")).longValue()).as(table).isEqualTo(Stack.countOnly(dst, table));
                assertThat(row.get("match")).isEqualTo(true);
            }
            // partitioned parents are never counted on their own
            assertThat(rows).noneMatch(r -> "events".equals(r.get("table")));
        }
    }

    /**
     * The delivery on the intermediate host: manifest, checksums, DONE marker and the result; its
     * dump moved into the import half's checked copy, which holds every file the list names.
     */
    static void assertDelivery(String id, boolean directoryFormat) throws Exception {
        Path delivery = Stack.DROP.resolve(id);
        Path checked = Stack.checked(id);
        assertThat(delivery.resolve("manifest.json")).isRegularFile();
        assertThat(delivery.resolve("DONE")).isRegularFile();
        assertThat(delivery.resolve("dump")).as("moved into the checked copy").doesNotExist();
        assertThat(directoryFormat ? Files.isDirectory(checked.resolve("dump")) : Files.isRegularFile(checked.resolve("dump"))).isTrue();
        assertThat(Files.readString(checked.resolve("sha256"))).isEqualTo(Files.readString(delivery.resolve("sha256")));
        assertThat(java.nio.file.Files.getPosixFilePermissions(checked)).containsOnly(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE,
                java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE);
        List<String> sums = Files.readAllLines(delivery.resolve("sha256"));
        assertThat(sums).anyMatch(l -> l.endsWith("  manifest.json"));
        assertThat(sums).allMatch(l -> l.matches("[0-9a-f]{64}  \\S+"));
        // no temporary upload names left behind
        try (Stream<Path> files = Files.walk(delivery)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".part-"));
        }
        JsonPath result = JsonPath.from(delivery.resolve("result.json").toFile());
        assertThat(result.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(result.getString("runId")).isEqualTo(id);
    }

    /** The destination database was created with the source's encoding and collation. */
    static void assertDestinationLikeSource(String job) throws Exception {
        // a second opinion that shares no code with the product's verification
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        String sql = "SELECT pg_encoding_to_char(encoding) || '/' || datcollate || '/' || datctype FROM pg_database WHERE datname = current_database()";
        try (Connection src = Stack.source(StackResource.sourceDb(job)); Connection dst = Stack.destination(StackResource.destinationDb(job));
             Statement s1 = src.createStatement(); Statement s2 = dst.createStatement();
             ResultSet r1 = s1.executeQuery(sql); ResultSet r2 = s2.executeQuery(sql)) {
            r1.next();
            r2.next();
            assertThat(r2.getString(1)).isEqualTo(r1.getString(1));
        }
        // the view, function, trigger and sequence came along and work
        try (Connection dst = Stack.destination(StackResource.destinationDb(job)); Statement st = dst.createStatement()) {
            st.execute("INSERT INTO shop.orders (customer_id, amount, ordered_at) VALUES (1, 10, now())");
            try (ResultSet rs = st.executeQuery("SELECT orders FROM shop.customer_totals WHERE id = 1")) {
                rs.next();
                assertThat(rs.getLong(1)).isGreaterThan(0);
            }
            try (ResultSet rs = st.executeQuery("SELECT last_value FROM shop.invoice_number")) {
                rs.next();
                assertThat(rs.getLong(1)).isGreaterThanOrEqualTo(11000);
            }
        }
    }

    /** Samples the command lines and environments of pg_dump/pg_restore processes while a run goes on. */
    static final class ProcessWatcher {
        final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private Thread thread;

        void start() {
            thread = new Thread(() -> {
                while (running.get()) {
                    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                        for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                            try {
                                String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                                if (cmd.contains("pg_dump") || cmd.contains("pg_restore")) {
                                    String env = new String(Files.readAllBytes(p.resolve("environ"))).replace('\0', ' ');
                                    seen.add(cmd + " ENV " + env);
                                }
                            } catch (Exception ignored) {
                                // the process ended meanwhile
                            }
                        }
                    } catch (Exception ignored) {
                        // next round
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }
}

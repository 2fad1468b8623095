package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * The verification is exact: a source with everything that trips up row counting arrives whole
 * and the report shows it; each kind of damage done to the destination afterwards is found and
 * named; writes to the source during the dump cause no false mismatch.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class VerificationTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-verify").directory(2).restoreMode("parallel"),
            TestJob.named("it-checksum").set("verify.mode", "checksum"),
            TestJob.named("it-concurrent").directory(2));

    static final Path RICH = Path.of("src/test/resources/rich-objects.sql");

    @Test
    void everyTableAndObjectIsComparedAndReportedAndDamageIsNamed() throws Exception {
        String job = "it-verify";
        Stack.freshJob(job);
        Stack.execSource(StackResource.sourceDb(job), Files.readString(RICH));

        String id = Api.startRun(job);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        Map<String, Object> quoted = run.getMap("verification.tables.find { it.schema == 'Mixed Case' }");
        assertThat(quoted.get("table")).isEqualTo("Ünïcödé \"quoted\" table");
        assertThat(quoted.get("destinationRows")).isEqualTo(3);
        assertThat(run.getInt("verification.tables.find { it.table == 'empty_table' }.destinationRows")).isZero();
        assertThat(run.getInt("verification.tables.find { it.table == 'dupes' }.destinationRows")).isEqualTo(4);
        // parents are counted for their own rows only: the inheritance parent 300, not 500
        assertThat(run.getInt("verification.tables.find { it.table == 'audit_log' }.sourceRows")).isEqualTo(300);
        assertThat(run.getList("verification.objects.kind", String.class))
                .contains("materialized view", "materialized view (not populated)", "view", "trigger", "partition", "sequence",
                        "function", "procedure", "enum", "domain", "index", "primary key", "foreign key", "check constraint");
        assertThat(run.getList("verification.objects.match", Boolean.class)).containsOnly(true);
        assertThat(run.getMap("verification.sequences.find { it.sequence == 'shop.invoice_number' }"))
                .containsEntry("expectedLastValue", 424242).containsEntry("expectedIsCalled", false).containsEntry("match", true);
        assertThat(run.getMap("verification.sequences.find { it.sequence == 'Mixed Case.Odd Seq' }"))
                .containsEntry("foundLastValue", 8);
        assertThat(run.getMap("verification.largeObjects")).containsEntry("expected", 2).containsEntry("found", 2);

        // the report, in JSON and HTML, kept with the run too
        Api.viewer().get("/api/runs/" + id + "/report").then().statusCode(200).contentType("application/json")
                .body("status", equalTo("SUCCEEDED")).body("run", equalTo(id))
                .body("source.collate", equalTo("C.UTF-8")).body("stages.size()", equalTo(10));
        String html = Api.viewer().accept("text/html").get("/api/runs/" + id + "/report").then().statusCode(200)
                .contentType("text/html").extract().asString();
        assertThat(html).contains("the destination matches the source", "Ünïcödé &quot;quoted&quot; table",
                "materialized view (not populated)", "shop.invoice_number");
        assertThat(Stack.DROP.resolve(id).resolve("report.html")).isRegularFile();
        assertThat(JsonPath.from(Stack.DROP.resolve(id).resolve("report.json").toFile()).getString("status")).isEqualTo("SUCCEEDED");

        // damage done to the destination afterwards: each kind is found and named
        try (Connection c = Stack.destination(StackResource.destinationDb(job)); Statement st = c.createStatement()) {
            st.execute("DELETE FROM shop.events_2026 WHERE id = (SELECT min(id) FROM shop.events_2026)");
            st.execute("DROP VIEW shop.customer_totals");
            st.execute("DROP TRIGGER orders_count ON shop.orders");
            st.execute("SELECT setval('shop.orders_id_seq', 5)");
        }
        Api.operator().post("/api/runs/" + id + "/verify").then().statusCode(202);
        JsonPath again = Api.awaitFinished(id);

        assertThat(again.getString("status")).isEqualTo("FAILED");
        // the inventory names the lost view and trigger per schema and kind, the schema comparison by their definitions
        assertThat(again.getString("error")).startsWith("verify: verification found 6 differences: ")
                .contains("TRIGGER shop.orders orders_count: missing on the destination, expected CREATE TRIGGER orders_count")
                .contains("VIEW shop.customer_totals: missing on the destination, expected CREATE VIEW shop.customer_totals AS")
                .contains("table shop.events_2026: expected 1757 rows, found 1756")
                .contains("view in schema shop: expected 1, found 0; missing: customer_totals")
                .contains("trigger in schema shop: expected 1, found 0; missing: orders.orders_count")
                .contains("sequence shop.orders_id_seq: expected last_value 10000 (is_called true), found 5 (is_called true)");
        assertThat(Api.viewer().accept("text/html").get("/api/runs/" + id + "/report").then().extract().asString())
                .contains("FAILED: verify: verification found 6 differences").contains("<h2>Schema</h2>");
    }

    @Test
    void checksumModeFindsAChangedValueThatCountsCannot() throws Exception {
        String job = "it-checksum";
        Stack.freshJob(job);
        Stack.execSource(StackResource.sourceDb(job), Files.readString(RICH));

        String id = Api.startRun(job);
        JsonPath run = Api.awaitFinished(id);
        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        List<Map<String, Object>> tables = run.getList("verification.tables");
        assertThat(tables).allSatisfy(t -> {
            assertThat(t.get("sourceChecksum")).isNotNull();
            assertThat(t.get("destinationChecksum")).isEqualTo(t.get("sourceChecksum"));
        });

        Stack.execDestination(StackResource.destinationDb(job), "UPDATE shop.customers SET name = 'Customer 7 (edited)' WHERE id = 7");
        Api.operator().post("/api/runs/" + id + "/verify").then().statusCode(202);
        JsonPath again = Api.awaitFinished(id);

        assertThat(again.getString("status")).isEqualTo("FAILED");
        assertThat(again.getString("error")).contains("table shop.customers: same 2000 rows but different content");
    }

    @Test
    void writesToTheSourceDuringTheDumpCauseNoFalseMismatch() throws Exception {
        String job = "it-concurrent";
        Stack.freshJob(job, 500_000);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = Stack.source(StackResource.sourceDb(job)); Statement st = c.createStatement()) {
                while (writing.get()) {
                    // rows in a plain table (through its identity, a sequence and a trigger) and in a partition
                    st.execute("INSERT INTO shop.orders (customer_id, amount, ordered_at) VALUES (1 + (random() * 1999)::int, 1, now())");
                    st.execute("INSERT INTO shop.events (id, happened, kind) VALUES (1000000 + " + written.get() + ", date '2026-05-01', 'buy')");
                    written.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        String id;
        try {
            id = Api.startRun(job);
            Api.awaitStatus(id, java.util.Set.of("SUCCEEDED", "FAILED", "CANCELLED"));
        } finally {
            writing.set(false);
            writer.join();
        }
        JsonPath run = Api.run(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(written.get()).as("rows written during the run").isGreaterThan(100);
        long inManifest = run.getLong("verification.tables.find { it.table == 'orders' }.sourceRows");
        long onDestination = run.getLong("verification.tables.find { it.table == 'orders' }.destinationRows");
        assertThat(onDestination).isEqualTo(inManifest);
        try (Connection src = Stack.source(StackResource.sourceDb(job))) {
            assertThat(Stack.countOnly(src, "shop.orders")).as("the source went on taking writes").isGreaterThan(inManifest);
        }
        assertThat(run.getList("verification.sequences.match", Boolean.class)).containsOnly(true);
    }
}

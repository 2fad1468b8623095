package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tables in pieces (dump.split-tables-larger-than) arrive exactly as they are: the nasty fixture
 * with every table that holds rows sent in pieces of one page (leaf partitions, inheritance, RLS,
 * generated and dropped columns among them), plus a table of many pages whose columns were
 * reordered by drops and additions and whose text holds what COPY must escape (and XML fragments,
 * into a database whose default is xmloption=document). Restored while
 * the delivery arrives, and by the restore stage alone; the independent checker judges both.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class PiecesTest {

    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-pieces").directory(2).unset("restore.mode").set("dump.split-tables-larger-than", "1")
                    // (slow enough that pieces arrive one by one while the pipeline restores)
                    .set("verify.mode", "checksum").set("intermediate.max-bytes-per-second", "400000"),
            TestJob.named("it-pieces-late").directory(2).unset("restore.mode").set("dump.split-tables-larger-than", "1")
                    .set("restore.pipelined", "false"),
            // one transaction: nothing travels in pieces, and the log says why
            TestJob.named("it-pieces-atomic").directory(2).set("dump.split-tables-larger-than", "1"),
            // restore.mode=auto into a database that holds a table of its own: one transaction, so no pieces
            TestJob.named("it-pieces-occupied").directory(2).unset("restore.mode").set("dump.split-tables-larger-than", "1"),
            // cancelled while the restore stage loads a thousand pieces
            TestJob.named("it-pieces-cancel").directory(2).unset("restore.mode").set("dump.split-tables-larger-than", "1")
                    .set("restore.pipelined", "false"));

    /** A table of many pages, with what a hand-written COPY gets wrong. */
    private static final String WIDE = """
            CREATE TABLE public.wide (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, gone text, note text,
                                      twice bigint GENERATED ALWAYS AS (id * 2) STORED, blob bytea, doc jsonb);
            ALTER TABLE public.wide DROP COLUMN gone;
            ALTER TABLE public.wide ADD COLUMN late text DEFAULT 'late';
            INSERT INTO public.wide (note, blob, doc, late)
              SELECT CASE WHEN g % 7 = 0 THEN NULL ELSE 'tab' || E'\\t' || 'newline' || E'\\n' || 'backslash \\\\ N ' || g END,
                     decode(md5(g::text), 'hex'), jsonb_build_object('g', g, 'q', 'it''s "quoted"'),
                     CASE WHEN g % 5 = 0 THEN NULL ELSE repeat('x', g % 300) END
                FROM generate_series(1, 6000) g;
            DELETE FROM public.wide WHERE id % 11 = 0;
            CREATE INDEX wide_note ON public.wide (note);
            ALTER TABLE public.wide ADD COLUMN frag xml, ADD COLUMN price money;
            UPDATE public.wide SET frag = ('text and <b>' || id || '</b><i/>')::xml, price = (id * 1.25)::numeric::money WHERE id % 3 = 0;
            """;

    private static String source(String job) throws Exception {
        Faithful.freshNastyJob(job);
        String db = StackResource.sourceDb(job);
        Stack.execSource(db, WIDE);
        // the destination database inherits it: the pieces' XML fragments must load all the same
        Stack.execSource(db, "ALTER DATABASE " + db + " SET xmloption = document");
        return db;
    }

    /** A run of the job on a fresh source, SUCCEEDED and exact by the independent checker. */
    private static JsonPath migratedExactly(String job) throws Exception {
        source(job);
        JsonPath run = Api.awaitFinished(Api.startRun(job));
        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).isEmpty();
        return run;
    }

    @Test
    void tablesInPiecesRestoredWhileTheDeliveryArrivesArriveExactlyAsTheyAre() throws Exception {
        String job = "it-pieces";
        JsonPath run = migratedExactly(job);

        assertThat(run.getString("stages.find { it.name == 'dump' }.detail")).containsPattern("\\d+ tables in pieces");
        String id = run.getString("id");
        Path journal = StackResource.TEST_DATA.resolve("work").resolve(id).resolve("pipeline/journal");
        List<String> lines = Files.readAllLines(journal);
        assertThat(lines).as("pieces loaded as they arrived").anyMatch(l -> l.matches("end piece piece-\\d+-\\d+\\.dat"));
        long wide = lines.stream().filter(l -> l.startsWith("end piece ")).count();
        assertThat(wide).as("the wide table alone is dozens of pages").isGreaterThan(20);
        assertThat(run.getString("stages.find { it.name == 'verify' }.detail")).contains("checksum");
    }

    @Test
    void tablesInPiecesRestoredByTheRestoreStageAloneArriveExactlyAsTheyAre() throws Exception {
        String job = "it-pieces-late";
        JsonPath run = migratedExactly(job);

        assertThat(run.getString("stages.find { it.name == 'restore' }.detail"))
                .containsPattern("\\d+ pieces of \\d+ tables in pieces loaded \\(\\d+ rows, [0-9.]+ s\\) after the schema");
    }

    @Test
    void aRestoreInOneTransactionTakesEveryTableWhole() throws Exception {
        String job = "it-pieces-atomic";
        JsonPath run = migratedExactly(job);

        assertThat(run.getString("stages.find { it.name == 'dump' }.detail")).doesNotContain("in pieces");
        assertThat(Api.viewer().get("/api/runs/" + run.getString("id") + "/log").then().extract().asString()).contains("travel whole: restore.mode=single-transaction");
    }

    @Test
    void intoADatabaseHoldingTablesOfItsOwnEveryTableTravelsWhole() throws Exception {
        String job = "it-pieces-occupied";
        source(job);
        try (var c = Stack.destination("postgres"); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + StackResource.destinationDb(job) + " OWNER " + Stack.ADMIN);
        }
        try (var c = Stack.destination(StackResource.destinationDb(job)); var st = c.createStatement()) {
            st.execute("CREATE TABLE public.kept_here (id int); INSERT INTO public.kept_here VALUES (1)");
        }

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(run.getString("stages.find { it.name == 'dump' }.detail")).doesNotContain("in pieces");
        assertThat(run.getString("stages.find { it.name == 'restore' }.detail")).contains("single transaction");
        assertThat(Api.viewer().get("/api/runs/" + run.getString("id") + "/log").then().extract().asString())
                .contains("travel whole: the destination database " + StackResource.destinationDb(job) + " holds tables");
        assertThat(run.getList("verification.tables.match", Boolean.class)).isNotEmpty().containsOnly(true);
        try (var c = Stack.destination(StackResource.destinationDb(job))) {
            assertThat(Stack.strings(c, "SELECT count(*) FROM public.kept_here")).containsExactly("1");
        }
    }

    @Test
    void cancelledWhileTheRestoreStageLoadsPiecesNoCopyGoesOn() throws Exception {
        String job = "it-pieces-cancel";
        String db = source(job);
        // a thousand pieces (the most one table takes) of a few pages each: loads for several seconds
        Stack.execSource(db, """
                CREATE TABLE public.bulk (id bigint PRIMARY KEY, pad text);
                INSERT INTO public.bulk SELECT g, repeat('p', 80) FROM generate_series(1, 300000) g;
                """);
        String dst = StackResource.destinationDb(job);
        String copies = "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + dst + "' AND query LIKE 'COPY %FROM STDIN%'"
                + " AND state = 'active'";

        String id = Api.startRun(job);
        Api.awaitStageRunning(id, "restore");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            try (var c = Stack.destination("postgres")) {
                return Integer.parseInt(Stack.strings(c, copies).get(0)) > 0;
            }
        });
        Api.operator().post("/api/runs/" + id + "/cancel").then().statusCode(200);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).isEqualTo("CANCELLED");
        assertThat(Api.viewer().get("/api/runs/" + id + "/log").then().extract().asString())
                .containsPattern("cancelled by \\S+ \\(\\d+ tool processes stopped, 1 loads or dumps of tables in pieces\\)");
        // the COPYs under way end within moments, and none begins after them
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
            try (var c = Stack.destination("postgres")) {
                return Stack.strings(c, copies).equals(List.of("0"));
            }
        });
        for (int i = 0; i < 10; i++) {
            Thread.sleep(100);
            try (var c = Stack.destination("postgres")) {
                assertThat(Stack.strings(c, copies)).as("COPYs into " + dst + " after the cancel").containsExactly("0");
            }
        }
    }
}

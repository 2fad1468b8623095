package io.pgcaravan.it;

import io.pgcaravan.check.IndependentChecker;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/**
 * A job of several databases of one source: a pattern chooses them as the run starts, each is
 * migrated as a run of its own into a database named after it (judged one by one by the
 * independent checker), and at most one of them dumps, and one restores, at a time.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class SeveralDatabasesTest {

    static final String JOB = "it-several";
    static final String DOWN = "it-several-down";
    static final String OTHER = "it-several-other";
    // more than caravan.runs.concurrency (4): those waiting for a place must not hold its threads
    static final List<String> DATABASES = List.of("it_several_1", "it_several_2", "it_several_3", "it_several_4", "it_several_5", "it_several_6");

    static final List<TestJob> JOBS = List.of(
            TestJob.named(JOB).unset("source.database")
                    .set("source.databases", "it_several_?")
                    .set("source.exclude-databases", "it_several_x")
                    .set("destination.database", "{database}_dst")
                    .set("source.max-concurrent-runs", "1")
                    .set("destination.max-concurrent-runs", "1"),
            TestJob.named(OTHER),
            // nothing listens there: its pattern cannot be matched
            TestJob.named(DOWN).unset("source.database", "destination.database").set("source.databases", "shop_*").set("source.port", "1"));

    @Test
    void eachDatabaseIsARunOfItsOwnWithinTheLimits() throws Exception {
        for (String db : DATABASES) {
            Stack.createSource(db, Stack.sampleSql());
            Stack.dropDestination(db + "_dst");
        }
        Stack.addBigTable("it_several_2", 40_000);
        Stack.createSource("it_several_x", Stack.sampleSql());
        Stack.dropDestination("it_several_x_dst");
        Stack.freshJob(OTHER);

        // the precheck checks each database as its run will
        List<String> items = Api.operator().contentType("application/json").post("/api/jobs/" + JOB + "/precheck")
                .then().statusCode(200).extract().jsonPath().getList("items.item", String.class);
        assertThat(items).anyMatch(i -> i.startsWith("it_several_1: ")).anyMatch(i -> i.startsWith("it_several_3: "))
                .noneMatch(i -> i.startsWith("it_several_x: "));

        JsonPath started = Api.operator().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs")
                .then().statusCode(202).header("Location", containsString("/api/runs?job=" + JOB)).extract().jsonPath();
        assertThat(started.getList("runs.database", String.class)).containsExactlyElementsOf(DATABASES);
        List<String> ids = started.getList("runs.id", String.class);
        // another job started just after goes on at once: the runs waiting for a place hold no thread
        String other = Api.startRun(OTHER);

        // all are active: nothing more starts, and the answer says which run has each
        Api.operator().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs").then().statusCode(409)
                .body("message", containsString(ids.get(0))).body("message", containsString("it_several_6"));
        Api.operator().contentType("application/json").body("{\"database\": \"it_several_9\"}").post("/api/jobs/" + JOB + "/runs")
                .then().statusCode(400).body("message", containsString("not one of the databases of job '" + JOB + "'"));

        List<JsonPath> runs = new ArrayList<>();
        for (String id : ids) {
            JsonPath run = Api.awaitFinished(id);
            assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
            runs.add(run);
        }
        for (int i = 0; i < DATABASES.size(); i++) {
            String db = DATABASES.get(i);
            assertThat(runs.get(i).getString("database")).isEqualTo(db);
            assertThat(IndependentChecker.differences(
                    new IndependentChecker.Side(Stack.SOURCE_PORT, Stack.ADMIN, Stack.sourcePassword(), db),
                    new IndependentChecker.Side(Stack.DESTINATION_PORT, Stack.ADMIN, Stack.destinationPassword(), db + "_dst"),
                    IndependentChecker.Allow.own(Stack.ADMIN, "postgres"))).as(db).isEmpty();
        }
        assertThat(Stack.destinationExists("it_several_x_dst")).as("left out").isFalse();
        assertThat(Stack.destinationExists("it_several_1")).as("into {database}_dst, not the source's name").isFalse();

        JsonPath otherRun = Api.awaitFinished(other);
        assertThat(otherRun.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(OffsetDateTime.parse(otherRun.getString("stages.find { it.name == 'precheck' }.startedAt")))
                .as("the other job's run began before the job's second database")
                .isBefore(OffsetDateTime.parse(runs.get(1).getString("stages.find { it.name == 'precheck' }.startedAt")));

        // source.max-concurrent-runs=1 and destination.max-concurrent-runs=1: the halves never overlapped
        assertThat(overlaps(runs, "precheck", "upload")).as("export halves at the same time").isEmpty();
        assertThat(overlaps(runs, "checksum", "report")).as("import halves at the same time").isEmpty();

        // one database again, alone
        JsonPath one = Api.operator().contentType("application/json").body("{\"database\": \"it_several_3\"}")
                .post("/api/jobs/" + JOB + "/runs").then().statusCode(202).extract().jsonPath();
        assertThat(one.getList("runs.database", String.class)).containsExactly("it_several_3");
        assertThat(one.getMap("busy")).isEmpty();
        assertThat(Api.awaitFinished(one.getString("runs[0].id")).getString("status")).as("its destination is there now: conflicts=fail")
                .isEqualTo("FAILED");

        // a job of one database is refused a database
        Api.operator().contentType("application/json").body("{\"database\": \"x\"}").post("/api/jobs/it-api/runs")
                .then().statusCode(400).body("message", containsString("migrates one database"));
    }

    @Test
    void aSourceWhoseDatabasesCannotBeListedIsAClearError() {
        Api.operator().contentType("application/json").body("{}").post("/api/jobs/" + DOWN + "/runs").then().statusCode(502)
                .body("message", containsString("cannot be listed")).body("message", containsString("127.0.0.1:1"));
        assertThat(Api.viewer().get("/api/runs?job=" + DOWN).then().statusCode(200).extract().jsonPath().getList("id")).isEmpty();

        // a scheduled tick that cannot list them is recorded, saying why
        String cron = "it-several-down-cron";
        Map<String, Object> body = new java.util.LinkedHashMap<>(TestJob.named(cron).unset("source.database", "destination.database")
                .set("source.databases", "shop_*").set("source.port", "1").keys());
        body.put("schedule", Map.of("cron", "0/1 * * * * ?"));
        Api.operator().contentType("application/json").body(body).put("/api/jobs/" + cron).then().statusCode(201);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(40)).until(() -> !scheduled(cron).isEmpty());
        body.remove("schedule");
        Api.operator().contentType("application/json").body(body).put("/api/jobs/" + cron).then().statusCode(200);
        Map<String, Object> tick = scheduled(cron).get(0);
        assertThat(tick.get("status")).isEqualTo("SKIPPED");
        assertThat((String) tick.get("error")).contains("cannot be listed").contains("127.0.0.1:1");
        Api.operator().delete("/api/jobs/" + cron).then().statusCode(204);
    }

    @Test
    void aScheduledJobOfSeveralDatabasesSkipsEachBusyDatabaseOnItsOwn() throws Exception {
        String job = "it-several-cron";
        List<String> databases = List.of("it_sevcron_1", "it_sevcron_2");
        for (String db : databases) {
            Stack.createSource(db, Stack.sampleSql());
            Stack.dropDestination(db + "_dst");
        }
        Stack.addBigTable("it_sevcron_2", 60_000);
        Map<String, Object> body = new java.util.LinkedHashMap<>(TestJob.named(job).unset("source.database").keys());
        body.put("source.databases", databases); // a JSON array, as the API takes a list
        body.put("destination.database", "{database}_dst");
        body.put("conflicts", "replace");
        body.put("schedule", Map.of("cron", "0/1 * * * * ?"));
        Api.operator().contentType("application/json").body(body).put("/api/jobs/" + job).then().statusCode(201)
                .body("source.databases", org.hamcrest.Matchers.equalTo(databases));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(2)).until(() -> {
            List<Map<String, Object>> runs = scheduled(job);
            return databases.stream().allMatch(db -> runs.stream().anyMatch(r -> db.equals(r.get("database")) && "SUCCEEDED".equals(r.get("status")))
                    && runs.stream().anyMatch(r -> db.equals(r.get("database")) && "SKIPPED".equals(r.get("status"))));
        });
        body.remove("schedule");
        Api.operator().contentType("application/json").body(body).put("/api/jobs/" + job).then().statusCode(200);
        Thread.sleep(7000); // the schedules are brought up to date every 5 s
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(2)).until(() -> scheduled(job).stream()
                .noneMatch(r -> "QUEUED".equals(r.get("status")) || "RUNNING".equals(r.get("status"))));
        List<Map<String, Object>> runs = scheduled(job);
        assertThat(runs).allMatch(r -> databases.contains((String) r.get("database")));
        assertThat(runs.stream().filter(r -> "SKIPPED".equals(r.get("status"))))
                .allMatch(r -> ((String) r.get("error")).contains("of database " + r.get("database")));
        assertThat(runs.stream().filter(r -> !"SKIPPED".equals(r.get("status")))).as("every run that ran succeeded")
                .allMatch(r -> "SUCCEEDED".equals(r.get("status")));
        // never two runs of one database at once: each run of a database began after the one before it had ended
        for (String db : databases) {
            List<Map<String, Object>> ran = runs.stream().filter(r -> db.equals(r.get("database")) && !"SKIPPED".equals(r.get("status")))
                    .sorted(java.util.Comparator.comparing(r -> OffsetDateTime.parse((String) r.get("createdAt")))).toList();
            for (int i = 1; i < ran.size(); i++) {
                assertThat(OffsetDateTime.parse((String) ran.get(i).get("createdAt")))
                        .isAfterOrEqualTo(OffsetDateTime.parse((String) ran.get(i - 1).get("finishedAt")));
            }
        }
        for (String db : databases) {
            assertThat(IndependentChecker.differences(
                    new IndependentChecker.Side(Stack.SOURCE_PORT, Stack.ADMIN, Stack.sourcePassword(), db),
                    new IndependentChecker.Side(Stack.DESTINATION_PORT, Stack.ADMIN, Stack.destinationPassword(), db + "_dst"),
                    IndependentChecker.Allow.own(Stack.ADMIN, "postgres"))).as(db).isEmpty();
        }
        Api.operator().delete("/api/jobs/" + job).then().statusCode(204);
    }

    private static List<Map<String, Object>> scheduled(String job) {
        return Api.viewer().get("/api/runs?job=" + job + "&limit=500").then().statusCode(200).extract().jsonPath()
                .getList("findAll { it.trigger == 'schedule' }");
    }

    /** The pairs of runs whose spans from the start of one stage to the end of another overlapped. */
    private static List<String> overlaps(List<JsonPath> runs, String from, String to) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            for (int j = i + 1; j < runs.size(); j++) {
                OffsetDateTime[] a = span(runs.get(i), from, to);
                OffsetDateTime[] b = span(runs.get(j), from, to);
                if (a[0].isBefore(b[1]) && b[0].isBefore(a[1])) {
                    out.add(runs.get(i).getString("database") + " and " + runs.get(j).getString("database"));
                }
            }
        }
        return out;
    }

    private static OffsetDateTime[] span(JsonPath run, String from, String to) {
        Map<String, Object> first = run.getMap("stages.find { it.name == '" + from + "' }");
        Map<String, Object> last = run.getMap("stages.find { it.name == '" + to + "' }");
        return new OffsetDateTime[] {OffsetDateTime.parse((String) first.get("startedAt")), OffsetDateTime.parse((String) last.get("finishedAt"))};
    }
}

package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;

/**
 * Jobs as data: created, changed and deleted over the API while the app runs, checked exactly as
 * the configuration file's jobs are, secrets only as references, the file's jobs read-only; a job
 * created this way migrates like any other (judged by the independent checker), and its schedule
 * comes and goes with it.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class JobsApiTest {

    static final String JOB = "it-apijob";
    static final String SCHEDULED = "it-apijob-cron";

    private static Map<String, Object> definition(String name) {
        Map<String, Object> body = new LinkedHashMap<>(TestJob.named(name).keys());
        body.put("name", name);
        return body;
    }

    @Test
    void aJobCreatedOverTheApiMigratesAndIsChangedAndDeletedThere() throws Exception {
        Stack.freshJob(JOB);
        Map<String, Object> body = definition(JOB);

        Api.viewer().contentType("application/json").body(body).post("/api/jobs").then().statusCode(403);

        // checked as the file's jobs are, with the file's messages and keys
        Map<String, Object> missing = new LinkedHashMap<>(body);
        missing.remove("destination.host");
        Api.operator().contentType("application/json").body(missing).post("/api/jobs").then().statusCode(400)
                .body("message", containsString("caravan.jobs." + JOB + ".destination.host is required"));
        Map<String, Object> badPort = new LinkedHashMap<>(body);
        badPort.put("source.port", 70000);
        Api.operator().contentType("application/json").body(badPort).post("/api/jobs").then().statusCode(400)
                .body("message", containsString("caravan.jobs." + JOB + ".source.port must be less than or equal to 65535"));
        // a secret's value is refused, and not repeated back
        Map<String, Object> withSecret = new LinkedHashMap<>(body);
        withSecret.remove("source.password-file");
        withSecret.put("source.password", "s3cret-value");
        Api.operator().contentType("application/json").body(withSecret).post("/api/jobs").then().statusCode(400)
                .body("message", containsString("password-file")).body("message", containsString("password-env"))
                .body("message", not(containsString("s3cret-value")));
        Api.operator().get("/api/jobs/" + JOB).then().statusCode(404);
        // a file of the process that is no secret of a job's is not one either
        Map<String, Object> elsewhere = new LinkedHashMap<>(body);
        elsewhere.put("source.password-file", "/etc/passwd");
        Api.operator().contentType("application/json").body(elsewhere).post("/api/jobs").then().statusCode(400)
                .body("message", containsString("caravan.api.job-secrets.dirs"));
        // malformed bodies are JSON 400s
        Api.operator().contentType("application/json").body("[1, 2]").post("/api/jobs").then().statusCode(400);
        Api.operator().contentType("application/json").body("{\"name\": {\"x\": 1}}").post("/api/jobs").then().statusCode(400);

        Api.operator().contentType("application/json").body(body).post("/api/jobs").then().statusCode(201)
                .header("Location", containsString("/api/jobs/" + JOB)).body("origin", org.hamcrest.Matchers.equalTo("api"));
        Api.operator().contentType("application/json").body(body).post("/api/jobs").then().statusCode(409);
        JsonPath job = Api.viewer().get("/api/jobs/" + JOB).then().statusCode(200).extract().jsonPath();
        assertThat(job.getString("origin")).isEqualTo("api");
        assertThat(job.getBoolean("readOnly")).isFalse();
        assertThat(job.getString("source.database")).isEqualTo(StackResource.sourceDb(JOB));
        assertThat(job.getString("definition.'source.password-file'")).endsWith("secrets/source.password");
        assertThat(Api.viewer().get("/api/jobs").then().statusCode(200).extract().jsonPath().getList("name", String.class)).contains(JOB, "it-api");
        assertThat(Api.viewer().get("/api/jobs/it-api").then().extract().jsonPath().getBoolean("readOnly")).as("the file's").isTrue();

        String first = Api.startRun(JOB);
        assertThat(Api.awaitFinished(first).getString("status")).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(JOB)).isEmpty();

        // changed: the next run uses the job as it is now
        Map<String, Object> changed = new LinkedHashMap<>(body);
        changed.put("conflicts", "replace");
        changed.put("restore.mode", "parallel");
        changed.put("intermediate.max-bytes-per-second", "300000");
        Stack.addBigTable(StackResource.sourceDb(JOB), 150_000);
        Api.operator().contentType("application/json").body(changed).put("/api/jobs/" + JOB).then().statusCode(200)
                .body("restoreMode", org.hamcrest.Matchers.equalTo("parallel"));
        String second = Api.startRun(JOB);
        // not deleted, nor changed, while it has a run going on
        Api.operator().delete("/api/jobs/" + JOB).then().statusCode(409).body("message", containsString(second));
        Map<String, Object> meanwhile = new LinkedHashMap<>(changed);
        meanwhile.put("restore.jobs", "3");
        Api.operator().contentType("application/json").body(meanwhile).put("/api/jobs/" + JOB).then().statusCode(409)
                .body("message", containsString(second));
        Map<String, Object> scheduleOnly = new LinkedHashMap<>(changed);
        scheduleOnly.put("schedule.time-zone", "Europe/Berlin");
        Api.operator().contentType("application/json").body(scheduleOnly).put("/api/jobs/" + JOB).then().statusCode(200);
        JsonPath done = Api.awaitFinished(second);
        assertThat(done.getString("status")).as(done.prettify()).isEqualTo("SUCCEEDED");
        assertThat(done.getString("options.restoreMode")).isEqualTo("PARALLEL");
        assertThat(Faithful.differences(JOB)).isEmpty();

        // the configuration file's jobs are read-only here
        Map<String, Object> fileJob = definition("it-api");
        Api.operator().contentType("application/json").body(fileJob).put("/api/jobs/it-api").then().statusCode(409)
                .body("message", containsString("configuration file"));
        Api.operator().delete("/api/jobs/it-api").then().statusCode(409);

        Api.operator().delete("/api/jobs/" + JOB).then().statusCode(204);
        Api.operator().get("/api/jobs/" + JOB).then().statusCode(404);
        Api.operator().delete("/api/jobs/" + JOB).then().statusCode(404);
        Api.operator().contentType("application/json").body("{}").post("/api/jobs/" + JOB + "/runs").then().statusCode(404);
        // its runs stay in the history
        Api.operator().get("/api/runs/" + first).then().statusCode(200);
    }

    @Test
    void aScheduleGivenOverTheApiFiresAndStopsWithIt() throws Exception {
        Stack.freshJob(SCHEDULED);
        Map<String, Object> body = definition(SCHEDULED);
        body.put("conflicts", "replace");
        body.put("schedule", Map.of("cron", "0/1 * * * * ?"));
        Api.operator().contentType("application/json").body(body).put("/api/jobs/" + SCHEDULED).then().statusCode(201);

        await().atMost(Duration.ofSeconds(30)).until(() -> !scheduled().isEmpty());

        body.remove("schedule");
        Api.operator().contentType("application/json").body(body).put("/api/jobs/" + SCHEDULED).then().statusCode(200);
        Thread.sleep(7000); // the schedules are brought up to date every 5 s
        int after = scheduled().size();
        Thread.sleep(3000);
        assertThat(scheduled()).as("no fires once the schedule is gone").hasSize(after);
        await().atMost(Duration.ofMinutes(1)).until(() -> scheduled().stream().noneMatch(s -> s.equals("QUEUED") || s.equals("RUNNING")));
        Api.operator().delete("/api/jobs/" + SCHEDULED).then().statusCode(204);
    }

    /** The statuses of the job's scheduled runs and skipped fires. */
    private static List<String> scheduled() {
        return Api.viewer().get("/api/runs?job=" + SCHEDULED + "&limit=500").then().statusCode(200).extract().jsonPath()
                .getList("findAll { it.trigger == 'schedule' }.status", String.class);
    }
}

package io.pgcaravan.it;

import java.util.List;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/** Bad HTTP input gets a clear JSON error, never a 500; the API needs a user with the right role. */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class ApiTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-api"));

    @Test
    void requiresAuthentication() {
        given().get("/api/jobs").then().statusCode(401);
        given().auth().preemptive().basic("it-operator", "wrong").get("/api/jobs").then().statusCode(401);
        given().contentType("application/json").body("{}").post("/api/jobs/it-api/runs").then().statusCode(401);
    }

    @Test
    void viewerCanReadButNotStartRuns() {
        Api.viewer().get("/api/jobs").then().statusCode(200).body("name", hasItem("it-api"));
        Api.viewer().contentType("application/json").body("{}").post("/api/jobs/it-api/runs").then().statusCode(403);
    }

    @Test
    void jobsAreShownWithoutSecrets() {
        String body = Api.viewer().get("/api/jobs/it-badpw").then().statusCode(200)
                .body("source.database", equalTo("it_badpw_src"))
                .body("intermediate.strictHostKeyChecking", equalTo(true))
                .extract().asString();
        assertThat(body).doesNotContain("not-the-password").doesNotContainIgnoringCase("password");
    }

    @Test
    void unknownJobIs404() {
        Api.operator().contentType("application/json").body("{}").post("/api/jobs/no-such-job/runs")
                .then().statusCode(404).contentType("application/json")
                .body("message", equalTo("no job named 'no-such-job' is configured"));
        Api.viewer().get("/api/jobs/no-such-job").then().statusCode(404).body("status", equalTo(404));
    }

    @Test
    void unknownRunIs404() {
        Api.viewer().get("/api/runs/nope").then().statusCode(404).contentType("application/json")
                .body("message", containsString("no run with id 'nope'"));
    }

    @Test
    void malformedJsonIs400() {
        Api.operator().contentType("application/json").body("{\"restoreMode\": ")
                .post("/api/jobs/it-api/runs").then().statusCode(400).contentType("application/json")
                .body("message", startsWith("malformed JSON"));
    }

    @Test
    void unknownFieldIs400() {
        Api.operator().contentType("application/json").body("{\"restoreMdoe\": \"parallel\"}")
                .post("/api/jobs/it-api/runs").then().statusCode(400)
                .body("message", containsString("unknown field 'restoreMdoe'"))
                .body("message", containsString("restoreMode"));
    }

    @Test
    void wrongTypeIs400() {
        Api.operator().contentType("application/json").body("{\"restoreJobs\": \"many\"}")
                .post("/api/jobs/it-api/runs").then().statusCode(400)
                .body("message", containsString("restoreJobs"));
        Api.operator().contentType("application/json").body("[1, 2]")
                .post("/api/jobs/it-api/runs").then().statusCode(400);
    }

    @Test
    void invalidOverridesAre400() {
        Api.operator().contentType("application/json").body("{\"restoreMode\": \"fast\"}")
                .post("/api/jobs/it-api/runs").then().statusCode(400)
                .body("message", equalTo("restoreMode must be one of \"auto\", \"single-transaction\", \"parallel\", got \"fast\""));
        Api.operator().contentType("application/json").body("{\"restoreJobs\": 0}")
                .post("/api/jobs/it-api/runs").then().statusCode(400)
                .body("message", equalTo("restoreJobs must be between 1 and 64, got 0"));
        Api.operator().contentType("application/json").body("{\"dumpJobs\": 4}")
                .post("/api/jobs/it-api/runs").then().statusCode(400)
                .body("message", containsString("dumpFormat \"directory\""));
        Api.viewer().get("/api/runs?status=DONE").then().statusCode(400).body("message", containsString("status must be one of"));
        Api.viewer().get("/api/runs?limit=0").then().statusCode(400);
    }

    @Test
    void invalidRetryWindowsAre400AndStartNothing() {
        int before = Api.viewer().get("/api/runs?job=it-api&limit=1000").then().extract().jsonPath().getList("id").size();
        Api.operator().contentType("application/json").body("{\"retryConnection\": \"a while\"}")
                .post("/api/jobs/it-api/runs").then().statusCode(400)
                .body("message", startsWith("retryConnection: 'a while' is not a duration"));
        Api.operator().contentType("application/json").body("{\"retryConnection\": \"30s\", \"retryOther\": \"30s\"}")
                .post("/api/jobs/it-api/runs").then().statusCode(400)
                .body("message", equalTo("retryOther (30 s) must be shorter than retryConnection (30 s)"));
        Api.operator().contentType("application/json").body("{\"retryConnection\": 0}")
                .post("/api/jobs/it-api/runs").then().statusCode(400);
        assertThat(Api.viewer().get("/api/runs?job=it-api&limit=1000").then().extract().jsonPath().getList("id")).hasSize(before);
    }

    @Test
    void cancelAndResumeOfUnknownRunsAre404() {
        Api.operator().post("/api/runs/nope/cancel").then().statusCode(404);
        Api.operator().post("/api/runs/nope/resume").then().statusCode(404);
        Api.viewer().post("/api/runs/nope/cancel").then().statusCode(403);
    }

    @Test
    void aSecondRunOfARunningJobIs409() throws Exception {
        String job = "it-api";
        Stack.freshJob(job);

        String first = Api.startRun(job, "{\"dumpFormat\": \"directory\", \"dumpJobs\": 2}");
        Api.operator().contentType("application/json").body("{}").post("/api/jobs/" + job + "/runs")
                .then().statusCode(409).body("message", containsString(first));

        var run = Api.awaitFinished(first);
        assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(run.getString("options.dumpFormat")).isEqualTo("DIRECTORY");
        assertThat(run.getInt("options.dumpJobs")).isEqualTo(2);
        Api.viewer().get("/api/runs?job=" + job + "&status=SUCCEEDED").then().statusCode(200)
                .body("id", hasItem(first)).body("job", not(hasItem("it-single")));
    }

    @Test
    void startAnswers202WithTheRunUrl() throws Exception {
        String job = "it-api";
        Stack.freshJob(job);
        var response = Api.operator().contentType("application/json").body("{}").post("/api/jobs/" + job + "/runs")
                .then().statusCode(202).extract();
        String id = response.path("id");
        assertThat(response.header("Location")).endsWith("/api/runs/" + id);
        assertThat((String) response.path("url")).isEqualTo("/api/runs/" + id);
        Api.awaitFinished(id);
    }
}

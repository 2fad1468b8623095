package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/** What operators watch and call: progress, the run's log, metrics, health, tokens, the OpenAPI document. */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class OperatingSurfaceTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-ops").directory(2).restoreMode("parallel"));

    @Test
    void aRunShowsLiveProgressAndItsOwnLogAndCountsInTheMetrics() throws Exception {
        String job = "it-ops";
        Stack.freshJob(job, 600_000);

        String id = Api.startRun(job);
        List<Map<String, Object>> seen = new ArrayList<>();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonPath run = Api.run(id);
            List<Map<String, Object>> stages = run.getList("stages");
            stages.stream().filter(s -> s.get("progress") != null).forEach(s -> seen.add(Map.of("stage", s.get("name"), "progress", s.get("progress"))));
            return Api.ENDED.contains(run.getString("status"));
        });
        JsonPath run = Api.run(id);
        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();

        assertThat(seen).as("progress seen while stages ran").extracting(m -> m.get("stage")).contains("dump", "restore");
        assertThat(seen).anySatisfy(m -> {
            assertThat(m.get("stage")).isEqualTo("dump");
            Map<?, ?> p = (Map<?, ?>) m.get("progress");
            assertThat(((Number) p.get("total")).intValue()).isEqualTo(8);
            assertThat(p.get("unit")).isEqualTo("tables");
        });
        assertThat(seen).anySatisfy(m -> {
            assertThat(m.get("stage")).isEqualTo("restore");
            assertThat(((Number) ((Map<?, ?>) m.get("progress")).get("total")).intValue()).isGreaterThan(10);
        });

        String log = Api.viewer().get("/api/runs/" + id + "/log").then().statusCode(200).contentType(containsString("text/plain"))
                .extract().asString();
        assertThat(log).contains("dump started", "pg_dump: pg_dump: dumping contents of table \"shop.big\"", "restore done", "verify done")
                .doesNotContain(Stack.sourcePassword()).doesNotContain(Stack.destinationPassword());

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("caravan_runs_total\\{[^}]*job=\"it-ops\"[^}]*outcome=\"SUCCEEDED\"[^}]*} [1-9]")
                .containsPattern("caravan_stage_duration_seconds_count\\{[^}]*job=\"it-ops\"[^}]*stage=\"dump\"")
                .containsPattern("caravan_dump_bytes_total\\{job=\"it-ops\"} [1-9]")
                .containsPattern("caravan_upload_bytes_total\\{job=\"it-ops\"} [1-9]");
    }

    @Test
    void readinessCoversThePipelineAndTheRunStore() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem("pipeline"));
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void bearerTokensAuthenticateToo() {
        given().header("Authorization", "Bearer ci-token-for-tests").get("/api/jobs").then().statusCode(200);
        given().header("Authorization", "Bearer wrong").get("/api/jobs").then().statusCode(401);
    }

    @Test
    void oversizedBodiesAreAJson413EvenWhenSentInChunks() {
        String big = "{\"restoreMode\": \"" + "x".repeat(100_000) + "\"}";
        Api.operator().contentType("application/json").body(big).post("/api/jobs/it-api/runs").then().statusCode(413)
                .contentType("application/json").body("message", containsString("request body too large"));
        // no Content-Length: the limit holds for the bytes actually read
        Api.operator().contentType("application/json").body(new java.io.ByteArrayInputStream(big.getBytes()))
                .post("/api/jobs/it-api/runs").then().statusCode(413)
                .contentType("application/json").body("message", containsString("request body too large"));
    }

    @Test
    void theApiIsDescribedByAnOpenApiDocument() {
        String doc = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract().asString();
        assertThat(doc).contains("/api/jobs/{job}/runs", "/api/runs/{id}/report", "/api/runs/{id}/cancel", "pg-caravan API");
    }

    @Test
    void logsOfUnknownRunsAre404() {
        Api.viewer().get("/api/runs/nope/log").then().statusCode(404);
    }
}

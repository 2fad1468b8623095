package io.pgcaravan.it;

import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

/** The API as the tests use it: the operator and viewer users of the test profile. */
public final class Api {

    public static final String OPERATOR_PASSWORD = "operator-test-pw";

    private Api() {
    }

    public static RequestSpecification operator() {
        return given().auth().preemptive().basic("it-operator", OPERATOR_PASSWORD);
    }

    public static RequestSpecification viewer() {
        return given().auth().preemptive().basic("it-viewer", "viewer-test-pw");
    }

    /** Starts a run of the job and returns its id. */
    public static String startRun(String job) {
        return startRun(job, "{}");
    }

    public static String startRun(String job, String body) {
        return operator().contentType("application/json").body(body)
                .post("/api/jobs/" + job + "/runs")
                .then().statusCode(202).extract().path("id");
    }

    public static JsonPath run(String id) {
        return operator().get("/api/runs/" + id).then().statusCode(200).extract().jsonPath();
    }

    public static final Set<String> ENDED = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

    /** Waits for the run to end (SUCCEEDED, FAILED or CANCELLED) and returns it. */
    public static JsonPath awaitFinished(String id) {
        return awaitStatus(() -> run(id), ENDED);
    }

    /**
     * Polls a run until it has one of the statuses. A delivery placed in the drop directory becomes
     * a run only once the import half has seen its DONE marker: until then the id is unknown (404).
     */
    public static JsonPath awaitStatus(String id, Set<String> statuses) {
        JsonPath[] last = new JsonPath[1];
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
            var response = operator().get("/api/runs/" + id).then().extract();
            if (response.statusCode() == 404) {
                return false;
            }
            last[0] = response.jsonPath();
            return response.statusCode() == 200 && statuses.contains(last[0].getString("status"));
        });
        return last[0];
    }

    /** Polls a run (through whichever client fetches it) until it has one of the statuses. */
    public static JsonPath awaitStatus(Supplier<JsonPath> fetch, Set<String> statuses) {
        JsonPath[] last = new JsonPath[1];
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = fetch.get();
            return statuses.contains(last[0].getString("status"));
        });
        return last[0];
    }

    public static JsonPath awaitStageRunning(String id, String stage) {
        return awaitStageRunning(() -> run(id), stage);
    }

    /** Waits until the run is in the given stage (RUNNING), polling fast so as not to miss a short one. */
    public static JsonPath awaitStageRunning(Supplier<JsonPath> fetch, String stage) {
        JsonPath[] last = new JsonPath[1];
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(25)).until(() -> {
            last[0] = fetch.get();
            if (ENDED.contains(last[0].getString("status"))) {
                throw new AssertionError("run ended before " + stage + " was seen running: " + last[0].prettify());
            }
            return "RUNNING".equals(stageStatus(last[0], stage));
        });
        return last[0];
    }

    /**
     * Waits until the upload stage is under way (a file sent, or 64 KB of one) and still has more
     * than {@code leftBytes} to send: an outage or a kill then surely lands mid-upload, however
     * much the sender got up while pg_dump was still writing (a fixed sleep into the stage raced
     * it on a slower machine). The job needs more than one big table: the sender finishes the
     * one it follows inside the dump stage, so only a second one is sure to be left for the upload.
     */
    public static JsonPath awaitUploadHalfway(Supplier<JsonPath> fetch, long leftBytes) {
        JsonPath[] last = new JsonPath[1];
        String upload = "stages.find { it.name == 'upload' }";
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(25)).until(() -> {
            last[0] = fetch.get();
            if (ENDED.contains(last[0].getString("status")) || "DONE".equals(stageStatus(last[0], "upload"))) {
                throw new AssertionError("the upload ended before it could be interrupted: " + last[0].prettify());
            }
            if (!"RUNNING".equals(stageStatus(last[0], "upload")) || last[0].get(upload + ".progress") == null) {
                return false;
            }
            long done = last[0].getLong(upload + ".progress.done");
            long bytes = last[0].get(upload + ".progress.bytes") == null ? 0L : last[0].getLong(upload + ".progress.bytes");
            Long total = last[0].get(upload + ".progress.totalBytes") == null ? null : last[0].getLong(upload + ".progress.totalBytes");
            return total != null && (done >= 1 || bytes >= 65_536) && total - bytes > leftBytes;
        });
        return last[0];
    }

    public static String stageStatus(JsonPath run, String stage) {
        return run.getString("stages.find { it.name == '" + stage + "' }.status");
    }
}

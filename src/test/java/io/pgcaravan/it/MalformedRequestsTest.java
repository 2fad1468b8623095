package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Malformed, hostile and unauthorised requests, one table: each gets the status it should, a JSON
 * body with that status and a message, never a stack trace (in the answer or the log), and
 * nothing changes: no run is started, cancelled or resumed by any of them.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class MalformedRequestsTest {

    static final List<TestJob> JOBS = List.of(TestJob.named("it-malformed"));
    private static final String RUNS = "/api/jobs/it-malformed/runs";

    /** One request: how to send it, the status it must get, a piece of its message (or null). */
    record Case(String what, Supplier<Response> send, int status, String message) {
    }

    private static Case post(String body, int status, String message) {
        return new Case("POST runs " + (body.length() > 60 ? body.substring(0, 60) + "..." : body),
                () -> Api.operator().contentType("application/json").body(body).post(RUNS), status, message);
    }

    private static Case as(String what, Supplier<RequestSpecification> who, String method, String path, int status) {
        return new Case(what, () -> who.get().contentType("application/json").body("{}").request(method, path), status, null);
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        // who may do what
        out.add(as("no credentials", () -> given(), "POST", RUNS, 401));
        out.add(as("wrong password", () -> given().auth().preemptive().basic("it-operator", "wrong"), "POST", RUNS, 401));
        out.add(as("unknown user", () -> given().auth().preemptive().basic("nobody", "x"), "POST", RUNS, 401));
        out.add(as("wrong bearer token", () -> given().header("Authorization", "Bearer wrong"), "POST", RUNS, 401));
        out.add(as("garbled basic credentials", () -> given().header("Authorization", "Basic !!!not-base64"), "POST", RUNS, 401));
        out.add(as("no credentials, reading", () -> given(), "GET", "/api/runs", 401));
        out.add(as("viewer starts a run", Api::viewer, "POST", RUNS, 403));
        out.add(as("viewer cancels", Api::viewer, "POST", "/api/runs/it-malformed-20260101T000000Z-abcdef/cancel", 403));
        out.add(as("viewer resumes", Api::viewer, "POST", "/api/runs/it-malformed-20260101T000000Z-abcdef/resume", 403));
        out.add(as("viewer verifies", Api::viewer, "POST", "/api/runs/it-malformed-20260101T000000Z-abcdef/verify", 403));
        out.add(as("viewer prechecks", Api::viewer, "POST", "/api/jobs/it-malformed/precheck", 403));
        // what is not there
        out.add(as("unknown path", Api::operator, "GET", "/api/nope", 404));
        out.add(as("unknown run", Api::operator, "GET", "/api/runs/it-malformed-20260101T000000Z-abcdef", 404));
        out.add(as("unknown job", Api::operator, "GET", "/api/jobs/nope", 404));
        out.add(as("run of an unknown job", Api::operator, "POST", "/api/jobs/nope/runs", 404));
        out.add(as("cancel an unknown run", Api::operator, "POST", "/api/runs/nope/cancel", 404));
        out.add(as("a path that climbs", Api::operator, "POST", "/api/runs/..%2F..%2Fetc/cancel", 404));
        out.add(as("wrong method on runs", Api::operator, "DELETE", "/api/runs", 405));
        out.add(as("wrong method on a job's runs", Api::operator, "PUT", RUNS, 405));
        out.add(new Case("unacceptable Accept", () -> Api.operator().accept("text/csv").get("/api/jobs"), 406, null));
        out.add(new Case("text body", () -> Api.operator().contentType("text/plain").body("dumpJobs=2").post(RUNS), 415, null));
        out.add(new Case("XML body", () -> Api.operator().contentType("application/xml").body("<a/>").post(RUNS), 415, null));
        // query parameters
        for (String limit : List.of("abc", "0", "100000", "1.5", "-1", "%00", "1e3")) {
            out.add(new Case("limit=" + limit, () -> Api.viewer().urlEncodingEnabled(false).get("/api/runs?limit=" + limit), 400, "limit"));
        }
        out.add(new Case("status=bogus", () -> Api.viewer().get("/api/runs?status=bogus"), 400, "status"));
        // bodies
        out.add(post("{", 400, null));
        out.add(post("{\"dumpJobs\":2}}}", 400, null));
        out.add(post("{\"dumpJobs\":2}garbage", 400, null));
        out.add(post("{\"dumpJobs\":2} {\"dumpJobs\":3}", 400, null));
        out.add(post("{\"dumpJobs\":4.5}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":1e2}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":\"4\"}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":true}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":[1]}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":{}}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":0}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":65}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":-1}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":99999999999999}", 400, "dumpJobs"));
        out.add(post("{\"dumpJobs\":1" + "0".repeat(500) + "}", 400, null));
        out.add(post("{\"dumpJobs\":2,\"dumpJobs\":3}", 400, null));
        out.add(post("{\"dumpCompression\":10}", 400, "dumpCompression"));
        out.add(post("{\"restoreJobs\":0}", 400, "restoreJobs"));
        out.add(post("{\"restoreMode\":\"auto\\u0000\"}", 400, "restoreMode"));
        out.add(post("{\"restoreMode\":\"auto\\n\"}", 400, "restoreMode"));
        out.add(post("{\"restoreMode\":\"bogus\"}", 400, "restoreMode"));
        out.add(post("{\"restoreMode\":\"\"}", 400, "restoreMode"));
        out.add(post("{\"restoreMode\":7}", 400, "restoreMode"));
        out.add(post("{\"dumpFormat\":\"directory \"}", 400, "dumpFormat"));
        out.add(post("{\"dumpFormat\":\"tar\"}", 400, "dumpFormat"));
        out.add(post("{\"retryOther\":\"abc\"}", 400, "retryOther"));
        out.add(post("{\"retryOther\":\"-5m\"}", 400, "retryOther"));
        out.add(post("{\"retryConnection\":\"12x\"}", 400, "retryConnection"));
        out.add(post("{\"unknown\":1}", 400, "unknown field"));
        out.add(post("[]", 400, null));
        out.add(post("\"a string\"", 400, null));
        out.add(post("42", 400, null));
        out.add(post("{'dumpJobs':2}", 400, null));
        out.add(post("{dumpJobs:2}", 400, null));
        out.add(post("{\"dumpJobs\":2,}", 400, null));
        out.add(post("/* a comment */ {}", 400, null));
        out.add(post("[".repeat(5000) + "]".repeat(5000), 400, null));
        out.add(new Case("invalid UTF-8", () -> Api.operator().contentType("application/json")
                .body(new byte[]{'{', '"', (byte) 0xc3, (byte) 0x28, '"', ':', '1', '}'}).post(RUNS), 400, null));
        String big = "{\"restoreMode\":\"" + "x".repeat(70_000) + "\"}";
        out.add(new Case("body over the limit", () -> Api.operator().contentType("application/json").body(big).post(RUNS), 413, "too large"));
        out.add(new Case("chunked body over the limit", () -> Api.operator().contentType("application/json")
                .body(new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))).post(RUNS), 413, "too large"));
        // finding 8: past the HTTP server's own limit (10M) too, announced and chunked
        byte[] huge = ("{\"restoreMode\":\"" + "x".repeat(12 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);
        out.add(new Case("12 MB body", () -> Api.operator().contentType("application/json").body(huge).post(RUNS), 413, "too large"));
        out.add(new Case("12 MB chunked body", () -> Api.operator().contentType("application/json")
                .body(new java.io.ByteArrayInputStream(huge)).post(RUNS), 413, "too large"));
        return out;
    }

    @Test
    void everyMalformedRequestGetsItsStatusAsJsonAndChangesNothing() throws Exception {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(60);
        int runsBefore = Api.viewer().get("/api/runs?limit=1000").jsonPath().getList("$").size();
        long logBefore = Files.size(StackResource.TEST_DATA.resolve("caravan.log"));

        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            Response r = c.send().get();
            String body = r.asString();
            String problem = null;
            if (r.statusCode() != c.status()) {
                problem = "status " + r.statusCode();
            } else if (r.contentType() == null || !r.contentType().startsWith("application/json")) {
                problem = "content type " + r.contentType();
            } else if (r.jsonPath().getInt("status") != c.status() || r.jsonPath().getString("message") == null
                    || r.jsonPath().getString("message").isBlank()) {
                problem = "body without its status and a message";
            } else if (c.message() != null && !r.jsonPath().getString("message").contains(c.message())) {
                problem = "message without \"" + c.message() + "\"";
            } else if (body.contains("Exception") || body.contains("\tat ")) {
                problem = "a stack trace or an exception's name";
            }
            if (problem != null) {
                wrong.add(c.what() + ": " + problem + ": " + (body.length() > 300 ? body.substring(0, 300) : body));
            }
        }
        assertThat(wrong).as("requests answered otherwise than they should be").isEmpty();
        assertThat(Api.viewer().get("/api/runs?limit=1000").jsonPath().getList("$")).as("no run started").hasSize(runsBefore);
        byte[] all = Files.readAllBytes(StackResource.TEST_DATA.resolve("caravan.log"));
        String log = new String(all, (int) Math.min(logBefore, all.length), all.length - (int) Math.min(logBefore, all.length), StandardCharsets.UTF_8);
        assertThat(log).as("no stack trace in the log for a client's mistake").doesNotContain("\tat ").doesNotContain("Exception:");
    }
}

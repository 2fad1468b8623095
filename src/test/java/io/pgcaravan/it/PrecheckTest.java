package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A failing precheck stops the run before anything is written, and says why. */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class PrecheckTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-badpw").set("source.password-file", "").set("source.password", "not-the-password"),
            TestJob.named("it-hostkey").set("intermediate.known-hosts", StackResource.WRONG_KNOWN_HOSTS.toString()),
            TestJob.named("it-nohostkey").set("intermediate.known-hosts", StackResource.EMPTY_KNOWN_HOSTS.toString()));

    @Test
    void wrongSourcePasswordStopsTheRunBeforeAnythingIsWritten() throws Exception {
        String job = "it-badpw";
        Stack.freshJob(job);

        String id = Api.startRun(job);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat(run.getString("error")).startsWith("precheck: precheck failed: source.connection")
                .contains("password authentication failed for user \"caravan_admin\"")
                .doesNotContain("not-the-password");
        assertThat(item(run, "source.connection").get("status")).isEqualTo("FAIL");
        assertNothingWritten(run, id, job);
    }

    @Test
    void unknownHostKeyStopsTheRunBeforeAnythingIsWritten() throws Exception {
        String job = "it-nohostkey";
        Stack.freshJob(job);

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).isEqualTo("FAILED");
        assertThat((String) item(run, "intermediate.connection").get("message"))
                .startsWith("host key of 127.0.0.1:" + Stack.SSH_PORT + " is not in " + StackResource.EMPTY_KNOWN_HOSTS);
        assertNothingWritten(run, run.getString("id"), job);
    }

    @Test
    void changedHostKeyStopsTheRunBeforeAnythingIsWritten() throws Exception {
        String job = "it-hostkey";
        Stack.freshJob(job);

        String id = Api.startRun(job);
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).isEqualTo("FAILED");
        Map<String, Object> sftp = item(run, "intermediate.connection");
        assertThat(sftp.get("status")).isEqualTo("FAIL");
        assertThat((String) sftp.get("message")).startsWith("host key of 127.0.0.1:" + Stack.SSH_PORT + " has CHANGED")
                .contains(StackResource.WRONG_KNOWN_HOSTS.toString());
        assertThat(item(run, "source.connection").get("status")).isEqualTo("PASS");
        assertThat(run.getString("error")).contains("intermediate.connection");
        assertNothingWritten(run, id, job);
    }

    private static Map<String, Object> item(JsonPath run, String name) {
        List<Map<String, Object>> items = run.getList("precheck");
        return items.stream().filter(i -> name.equals(i.get("item"))).findFirst()
                .orElseThrow(() -> new AssertionError("no precheck item " + name + " in " + run.prettify()));
    }

    private static void assertNothingWritten(JsonPath run, String id, String job) throws Exception {
        assertThat(Api.stageStatus(run, "precheck")).isEqualTo("FAILED");
        for (String stage : List.of("roles", "dump", "manifest", "upload", "checksum", "prepare", "restore", "verify", "report")) {
            assertThat(Api.stageStatus(run, stage)).as(stage).isEqualTo("PENDING");
        }
        assertThat(StackResource.TEST_DATA.resolve("staging").resolve(id)).doesNotExist();
        assertThat(Stack.DROP.resolve(id)).doesNotExist();
        assertThat(Stack.destinationExists(StackResource.destinationDb(job))).isFalse();
    }
}

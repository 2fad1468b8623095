package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run that ends without succeeding keeps its staging copy for a resume, and says so where space
 * is counted: the precheck's space item names it with what it holds and how to free it; the API
 * frees it; a resume after that still ends exact (the import half needs no staging copy).
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class StagingTest {

    /** A staging directory on a file system of its own, of 8 MiB, for the space a failed run holds to matter. */
    static final Path SMALL_STAGING = StackResource.TEST_DATA.resolve("small-staging");

    static final List<TestJob> JOBS = List.of(TestJob.named("it-staging"),
            TestJob.named("it-staging-unreachable").set("source.port", "1").set("retry.connection", "2s").set("retry.other", "1s"),
            TestJob.named("it-staging-small").set("staging-dir", SMALL_STAGING.toString()).set("retry.other", "1s"));

    /**
     * Finding 10 of issue 16: a failed run's staging copy does not keep the next run from the
     * space. A run fails after its dump (a schema the destination already has), keeping its copy
     * for a resume; the staging file system is then nearly full. The next run's precheck discards
     * that copy to make room, says so, and the run succeeds.
     */
    @Test
    void aNewRunTakesTheSpaceAFailedRunsStagingCopyHeld() throws Exception {
        String job = "it-staging-small";
        Files.createDirectories(SMALL_STAGING);
        Stack.run("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "caravan-it-staging", SMALL_STAGING.toString());
        try {
            Stack.freshJob(job);
            try (var c = Stack.destination("postgres"); var st = c.createStatement()) {
                st.execute("CREATE DATABASE " + StackResource.destinationDb(job));
            }
            Stack.execDestination(StackResource.destinationDb(job), "CREATE SCHEMA shop");
            String failed = Api.startRun(job);
            assertThat(Api.awaitFinished(failed).getString("status")).isEqualTo("FAILED");
            assertThat(SMALL_STAGING.resolve(failed)).isDirectory();
            // what is left is 1 MiB, less than the 3 MiB of table data the next run dumps
            long free = Files.getFileStore(SMALL_STAGING).getUsableSpace();
            try (var filler = java.nio.channels.FileChannel.open(SMALL_STAGING.resolve("filler"),
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                filler.write(java.nio.ByteBuffer.allocate((int) (free - (1 << 20))));
            }
            Stack.execDestination(StackResource.destinationDb(job), "DROP SCHEMA shop");

            String next = Api.startRun(job);
            JsonPath run = Api.awaitFinished(next);

            assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
            assertThat(run.getString("precheck.find { it.item == 'space.staging' }.message"))
                    .contains("the staging copies of ended runs " + failed + " were discarded to make room");
            assertThat(SMALL_STAGING.resolve(failed)).doesNotExist();
            assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        } finally {
            Stack.run("umount", SMALL_STAGING.toString());
        }
    }

    @jakarta.inject.Inject
    io.pgcaravan.stage.io.FailedStaging failedStaging;

    /**
     * caravan.staging.max-held: beyond it the copies of the runs that ended longest ago go first,
     * until what is left fits. (Copies of known sizes, in a staging root of this test's own, for two
     * real ended runs: the suite's other runs keep theirs.)
     */
    @Test
    void beyondTheCapTheOldestEndedRunsStagingGoesFirst() throws Exception {
        String older = Api.startRun("it-staging-unreachable");
        assertThat(Api.awaitFinished(older).getString("status")).isEqualTo("FAILED");
        String newer = Api.startRun("it-staging-unreachable");
        assertThat(Api.awaitFinished(newer).getString("status")).isEqualTo("FAILED");
        Path root = StackResource.TEST_DATA.resolve("capped-staging");
        StackResource.deleteTree(root);
        for (String id : List.of(older, newer)) {
            Files.createDirectories(root.resolve(id));
            Files.write(root.resolve(id).resolve("dump"), new byte[100_000]);
        }
        assertThat(failedStaging.held(root)).containsOnlyKeys(older, newer);

        assertThat(failedStaging.cap(root, 250_000)).as("within the cap").isZero();
        assertThat(failedStaging.cap(root, 150_000)).isEqualTo(1);

        assertThat(root.resolve(older)).doesNotExist();
        assertThat(root.resolve(newer)).isDirectory();
        assertThat(failedStaging.cap(root, 0)).isEqualTo(1);
        assertThat(root.resolve(newer)).doesNotExist();
    }

    @Test
    void aCancelledRunsStagingCopyIsNamedByThePrecheckAndFreedOnRequest() throws Exception {
        String job = "it-staging";
        Stack.freshJob(job, 1_500_000);
        String id = Api.startRun(job);
        Api.awaitStageRunning(id, "restore");
        Api.operator().post("/api/runs/" + id + "/cancel").then().statusCode(200);
        JsonPath cancelled = Api.awaitStatus(id, Set.of("CANCELLED", "FAILED", "SUCCEEDED"));
        assertThat(cancelled.getString("status")).isEqualTo("CANCELLED");
        Path staging = StackResource.TEST_DATA.resolve("staging").resolve(id);
        assertThat(staging).as("kept for a resume").isDirectory();

        JsonPath precheck = Api.operator().post("/api/jobs/" + job + "/precheck").then().statusCode(200).extract().jsonPath();
        assertThat(precheck.getString("items.find { it.item == 'space.staging' }.message"))
                .contains("ended runs keep").contains(id).contains("DELETE /api/runs/<id>/staging");

        Api.viewer().delete("/api/runs/" + id + "/staging").then().statusCode(403);
        long[] freedBytes = {0};
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).pollInterval(java.time.Duration.ofMillis(200)).until(() -> {
            var r = Api.operator().delete("/api/runs/" + id + "/staging");
            if (r.statusCode() == 200) {
                freedBytes[0] = r.jsonPath().getLong("freedBytes");
                return true;
            }
            assertThat(r.statusCode()).as(r.asString()).isEqualTo(409); // still stopping
            return false;
        });
        long freed = freedBytes[0];
        assertThat(freed).isPositive();
        assertThat(staging).doesNotExist();
        assertThat(Api.operator().post("/api/jobs/" + job + "/precheck").then().extract().jsonPath()
                .getString("items.find { it.item == 'space.staging' }.message")).doesNotContain(id);

        // a cancelled run's halves may take a moment to stop: until then a resume is a 409 that says so
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).pollInterval(java.time.Duration.ofMillis(200))
                .until(() -> Api.operator().post("/api/runs/" + id + "/resume").statusCode() == 202);
        JsonPath resumed = Api.awaitFinished(id);
        assertThat(resumed.getString("status")).as(resumed.getString("error")).isEqualTo("SUCCEEDED");
        assertThat(Files.exists(staging)).isFalse();
    }

    @Test
    void theStagingCopyOfAnUnknownRunIs404() {
        Api.operator().delete("/api/runs/nope/staging").then().statusCode(404);
    }
}

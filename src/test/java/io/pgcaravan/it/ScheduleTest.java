package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A job on a schedule runs by itself; a trigger that fires while its last run is active is recorded as skipped. */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
@TestProfile(ScheduleTest.EveryTwoSeconds.class)
class ScheduleTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-sched"));

    public static class EveryTwoSeconds implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("caravan.jobs.it-sched.schedule.cron", "0/2 * * * * ?",
                    "caravan.jobs.it-sched.schedule.time-zone", "Europe/Berlin",
                    // a copy refreshed on a schedule: the destination is replaced each time
                    "caravan.jobs.it-sched.conflicts", "replace");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FreshJob.class));
        }
    }

    /** The job's databases, ready before the application (and so the schedule) starts. */
    public static class FreshJob implements io.quarkus.test.common.QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                // a run of this job takes longer than the schedule's 2 s
                Stack.freshJob("it-sched", 300_000);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return Map.of();
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void scheduledRunsAreOrdinaryRunsAndOverlapsAreSkipped() throws Exception {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
            List<String> statuses = Api.viewer().get("/api/runs?job=it-sched&limit=100").then().extract().jsonPath().getList("status");
            return statuses.stream().filter("SUCCEEDED"::equals).count() >= 2 && statuses.contains("SKIPPED");
        });
        JsonPath runs = Api.viewer().get("/api/runs?job=it-sched&limit=100").then().extract().jsonPath();
        List<Map<String, Object>> all = runs.getList("");
        assertThat(all).allSatisfy(r -> assertThat(r.get("trigger")).isEqualTo("schedule"));
        Map<String, Object> skipped = all.stream().filter(r -> "SKIPPED".equals(r.get("status"))).findFirst().orElseThrow();
        assertThat((String) skipped.get("error")).startsWith("skipped: job 'it-sched' already has an active run: it-sched-");
        assertThat(all).noneMatch(r -> "FAILED".equals(r.get("status")));
        // never two at once
        assertThat(all.stream().filter(r -> "RUNNING".equals(r.get("status")) || "QUEUED".equals(r.get("status"))).count())
                .isLessThanOrEqualTo(1);
    }
}

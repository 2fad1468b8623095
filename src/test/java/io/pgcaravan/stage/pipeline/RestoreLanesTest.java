package io.pgcaravan.stage.pipeline;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lanes of a pipelined restore: as many at once as the restore has jobs, a failure waits for the others. */
class RestoreLanesTest {

    @Test
    void lanesRunAtOnceUpToTheirNumberAndTellWhatTheyBuild() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RestoreLanes lanes = new RestoreLanes(2)) {
            assertThat(lanes.idle()).isTrue();
            lanes.start(new RestoreLanes.Work(Set.of("10"), Set.of("20", "21"), Set.of()), () -> release.await(10, TimeUnit.SECONDS));
            assertThat(lanes.free()).isTrue();
            lanes.start(new RestoreLanes.Work(Set.of(), Set.of("30"), Set.of("1", "2")), () -> release.await(10, TimeUnit.SECONDS));
            assertThat(lanes.free()).isFalse();
            assertThat(lanes.locked()).containsExactlyInAnyOrder("1", "2");
            assertThat(lanes.freeLanes()).isZero();
            assertThat(lanes.busy()).containsExactlyInAnyOrder("20", "21", "30");
            assertThat(lanes.collect()).isEmpty();

            release.countDown();
            lanes.drain();
            lanes.awaitAny(10);
            List<RestoreLanes.Work> done = lanes.collect();
            assertThat(done).extracting(RestoreLanes.Work::post).containsExactlyInAnyOrder(Set.of("20", "21"), Set.of("30"));
            assertThat(lanes.idle()).isTrue();
            assertThat(lanes.busy()).isEmpty();
            assertThat(lanes.locked()).isEmpty();
        }
    }

    @Test
    void aFailedLaneIsReportedOnceTheOthersHaveEnded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean otherEnded = new AtomicBoolean();
        try (RestoreLanes lanes = new RestoreLanes(2)) {
            lanes.start(new RestoreLanes.Work(Set.of("10"), Set.of(), Set.of()), () -> {
                throw new java.io.IOException("pg_restore exited 1");
            });
            lanes.start(new RestoreLanes.Work(Set.of("11"), Set.of(), Set.of()), () -> {
                release.await(10, TimeUnit.SECONDS);
                Thread.sleep(200);
                otherEnded.set(true);
            });
            lanes.awaitAny(5_000);
            release.countDown();
            assertThatThrownBy(lanes::collect).hasMessage("pg_restore exited 1");
            assertThat(otherEnded).isTrue();
        }
    }
}

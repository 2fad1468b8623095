package io.pgcaravan.live;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A run's live state: parts per half, closed in one place, newest first, each whatever the others do. */
class ActiveRunsTest {

    @Test
    void aHalfLeavingClosesWhatItHeldNewestFirstAndLeavesTheOtherHalfAlone() {
        ActiveRuns runs = new ActiveRuns();
        List<String> closed = new ArrayList<>();
        runs.hold("r1", Half.EXPORT, "write-freeze", "f", () -> closed.add("write-freeze"));
        runs.hold("r1", Half.EXPORT, "snapshot", "s", () -> closed.add("snapshot"));
        runs.hold("r1", Half.IMPORT, "passfile-import", "p", () -> closed.add("passfile-import"));
        runs.hold("r1", Half.EXPORT, "early-sender", "e", () -> {
            closed.add("early-sender");
            throw new IllegalStateException("a part that fails to close");
        });

        runs.leave("r1", Half.EXPORT);

        assertThat(closed).containsExactly("early-sender", "snapshot", "write-freeze");
        assertThat(runs.find("r1")).isPresent();
        assertThat(runs.find("r1").orElseThrow().part("passfile-import", String.class)).contains("p");
        runs.leave("r1", Half.IMPORT);
        assertThat(closed).endsWith("passfile-import");
        assertThat(runs.find("r1")).as("a run that holds nothing is forgotten").isEmpty();
    }

    @Test
    void aPartHeldAgainReplacesAndClosesTheEarlierOneAndReleaseClosesAtOnce() {
        ActiveRuns runs = new ActiveRuns();
        List<String> closed = new ArrayList<>();
        runs.hold("r2", Half.EXPORT, "snapshot", "first", () -> closed.add("first"));
        runs.hold("r2", Half.EXPORT, "snapshot", "second", () -> closed.add("second"));
        assertThat(closed).containsExactly("first");
        assertThat(runs.find("r2").orElseThrow().part("snapshot", String.class)).contains("second");

        runs.find("r2").orElseThrow().release("snapshot");
        assertThat(closed).containsExactly("first", "second");
        // taken out: not closed by the registry, whoever took it ends it
        runs.hold("r2", Half.EXPORT, "write-freeze", "f", () -> closed.add("freeze"));
        assertThat(runs.find("r2").orElseThrow().take("write-freeze", String.class)).contains("f");
        runs.leave("r2", Half.EXPORT);
        assertThat(closed).containsExactly("first", "second");
    }

    @Test
    void holdIfAbsentGivesEveryCallerTheSamePartAndARetiredRunIsNeverHeldInto() {
        ActiveRuns runs = new ActiveRuns();
        int[] made = {0};
        String a = runs.holdIfAbsent("r3", Half.IMPORT, "passfile-import", String.class, () -> "file" + (++made[0]), v -> () -> { });
        String b = runs.holdIfAbsent("r3", Half.IMPORT, "passfile-import", String.class, () -> "file" + (++made[0]), v -> () -> { });
        assertThat(a).isEqualTo(b).isEqualTo("file1");

        runs.leave("r3", Half.IMPORT);
        assertThat(runs.find("r3")).isEmpty();
        // after the run was retired, a new hold gets a new run rather than an orphan
        runs.hold("r3", Half.EXPORT, "snapshot", "s", () -> { });
        assertThat(runs.find("r3").orElseThrow().part("snapshot", String.class)).contains("s");
    }

    @Test
    void aHalfIsWorkedOnByOneExchangeAtATimeAndIsFreeOnlyAfterWhatItHeldIsClosed() {
        ActiveRuns runs = new ActiveRuns();
        List<String> seen = new ArrayList<>();
        assertThat(runs.enter("r4", Half.EXPORT)).isTrue();
        assertThat(runs.enter("r4", Half.EXPORT)).as("a second exchange is left out").isFalse();
        assertThat(runs.enter("r4", Half.IMPORT)).as("the other half is its own").isTrue();
        runs.hold("r4", Half.EXPORT, "snapshot", "s",
                () -> seen.add("closing the snapshot while working: " + runs.working("r4", Half.EXPORT)));
        runs.hold("r4", Half.EXPORT, "retry-clock/dump", "t", () -> seen.add("clock"));
        runs.hold("r4", Half.EXPORT, "retry-clock/upload", "t", () -> seen.add("clock"));
        runs.find("r4").orElseThrow().releaseAll(name -> name.startsWith("retry-clock/"));
        assertThat(seen).containsExactly("clock", "clock");

        runs.leave("r4", Half.EXPORT);

        assertThat(seen).endsWith("closing the snapshot while working: true");
        assertThat(runs.working("r4", Half.EXPORT)).isFalse();
        assertThat(runs.working("r4", Half.IMPORT)).isTrue();
        assertThat(runs.enter("r4", Half.EXPORT)).isTrue();
    }

    @Test
    void everyStageBelongsToOneHalf() {
        assertThat(Half.of("dump")).isEqualTo(Half.EXPORT);
        assertThat(Half.of("restore")).isEqualTo(Half.IMPORT);
        assertThat(Half.of("run")).isEqualTo(Half.EXPORT);
        assertThat(Half.EXPORT.stages()).doesNotContainAnyElementsOf(Half.IMPORT.stages());
    }
}

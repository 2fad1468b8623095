package io.pgcaravan.api;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.RunOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A run's overrides are checked like the configuration, with the production ranges. */
public class RunRequestTest {

    private static final JobConfig JOB = io.pgcaravan.config.ConfigValidationTest.load(
            io.pgcaravan.config.ConfigValidationTest.validJob()).jobs().get("nightly");

    private static RunRequest retry(String connection, String other) {
        return new RunRequest(null, null, null, null, null, connection, other, null);
    }

    @Test
    void overridesApply() {
        RunOptions o = new RunRequest("directory", 4, 6, "parallel", 8, "1440", "20", null).apply(JOB, true);
        assertThat(o.dumpFormat()).isEqualTo(JobConfig.DumpFormat.DIRECTORY);
        assertThat(o.dumpJobs()).isEqualTo(4);
        assertThat(o.dumpCompression()).isEqualTo(6);
        assertThat(o.restoreMode()).isEqualTo(JobConfig.RestoreMode.PARALLEL);
        assertThat(o.retryConnection()).isEqualTo(Duration.ofMinutes(1440));
        assertThat(o.retryOther()).isEqualTo(Duration.ofMinutes(20));
    }

    @Test
    void invalidWindowsAreRefusedWithTheFieldNamed() {
        assertThatThrownBy(() -> retry("0", null).apply(JOB, true)).hasMessageStartingWith("retryConnection: must be positive, got 0 s");
        assertThatThrownBy(() -> retry("5", null).apply(JOB, true))
                .hasMessageContaining("retryConnection: must be between 10 and 1440 minutes, got 5 min");
        assertThatThrownBy(() -> retry("2000", null).apply(JOB, true))
                .hasMessageContaining("retryConnection: must be between 10 and 1440 minutes, got 2000 min");
        assertThatThrownBy(() -> retry("60", "60").apply(JOB, true))
                .hasMessage("retryOther (60 min) must be shorter than retryConnection (60 min)");
        assertThatThrownBy(() -> retry(null, "soon").apply(JOB, true))
                .hasMessageStartingWith("retryOther: 'soon' is not a duration");
    }
}

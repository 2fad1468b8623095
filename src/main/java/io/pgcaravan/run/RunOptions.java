package io.pgcaravan.run;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.config.JobConfig.RestoreMode;

import java.time.Duration;

/**
 * The options a run actually uses: the job's configuration with the run's overrides applied.
 * Stored with the run, so a resumed run goes on exactly as it started.
 */
public record RunOptions(DumpFormat dumpFormat, int dumpJobs, RestoreMode restoreMode, int restoreJobs, boolean noOwner,
                         Duration retryConnection, Duration retryOther) {

    public static RunOptions of(JobConfig job) {
        return new RunOptions(job.dump().format(), job.dump().jobs(), job.restore().mode(), job.restore().jobs(),
                job.restore().noOwner().orElse(!job.roles().migrate()), job.retry().connection(), job.retry().other());
    }
}

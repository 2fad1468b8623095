package io.pgcaravan.config;

import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.config.JobConfig.RestoreMode;

import java.time.Duration;

/**
 * The options a run actually uses: the job's configuration with the run's overrides applied, and
 * the defaults that depend on the machine (jobs: its cores) resolved. Stored with the run, so a
 * resumed run goes on exactly as it started.
 *
 * @param dumpCompression gzip level 0-9, or null: chosen from the link's measured speed when the dump is taken
 * @param restoreMode     {@link RestoreMode#AUTO} is resolved by the restore, which knows the destination
 */
public record RunOptions(DumpFormat dumpFormat, int dumpJobs, Integer dumpCompression, RestoreMode restoreMode, int restoreJobs,
                         boolean noOwner, Duration retryConnection, Duration retryOther) {

    public static RunOptions of(JobConfig job) {
        DumpFormat format = job.dump().format();
        return new RunOptions(format, dumpJobs(job, format),
                job.dump().compression().orElse(null), job.restore().mode(), job.restore().jobs().orElse(cores()),
                job.restore().noOwner().orElse(!job.roles().migrate()), job.retry().connection(), job.retry().other());
    }

    /** The job's pg_dump jobs for a dump in this format: one for a custom-format file, else the job's or the cores. */
    public static int dumpJobs(JobConfig job, DumpFormat format) {
        return format == DumpFormat.DIRECTORY ? job.dump().jobs().orElse(cores()) : 1;
    }

    /** The cores this process may use (a container's CPU limit included). */
    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }
}

package io.pgcaravan.api;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.config.JobConfig.RestoreMode;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.config.RetryWindows;
import io.pgcaravan.config.RunOptions;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Optional overrides for one run; anything left out comes from the job's configuration.
 *
 * @param dumpFormat  "custom" or "directory"
 * @param dumpJobs    parallel pg_dump jobs (directory format), 1-64
 * @param dumpCompression gzip level of the dump, 0 (none) to 9 (default: chosen from the link's speed)
 * @param restoreMode "auto", "single-transaction" or "parallel"
 * @param restoreJobs parallel pg_restore jobs (parallel mode), 1-64
 * @param retryConnection how long connection failures are retried ("720", "12h", "PT12H"; 10-1440 minutes)
 * @param retryOther      how long other failures are retried (1-1440 minutes, shorter than retryConnection)
 * @param database        of a job of several databases, only this one (default: a run of each)
 */
public record RunRequest(String dumpFormat, Integer dumpJobs, Integer dumpCompression, String restoreMode, Integer restoreJobs,
                         String retryConnection, String retryOther, String database) {

    public static final RunRequest NONE = new RunRequest(null, null, null, null, null, null, null, null);

    /**
     * The options of the run: the job's, with these overrides, checked like the configuration.
     *
     * @param enforceRanges whether the retry windows must lie in the documented ranges (off only in tests)
     */
    public RunOptions apply(JobConfig job, boolean enforceRanges) {
        RunOptions base = RunOptions.of(job);
        DumpFormat format = dumpFormat == null ? base.dumpFormat() : parse(DumpFormat.class, "dumpFormat", dumpFormat);
        RestoreMode mode = restoreMode == null ? base.restoreMode() : parse(RestoreMode.class, "restoreMode", restoreMode);
        int dj = dumpJobs == null ? RunOptions.dumpJobs(job, format) : range("dumpJobs", dumpJobs);
        int rj = restoreJobs == null ? base.restoreJobs() : range("restoreJobs", restoreJobs);
        if (dj > 1 && format != DumpFormat.DIRECTORY) {
            throw new IllegalArgumentException("dumpJobs " + dj + " needs dumpFormat \"directory\"");
        }
        Duration connection = retryConnection == null ? base.retryConnection() : duration("retryConnection", retryConnection);
        Duration other = retryOther == null ? base.retryOther() : duration("retryOther", retryOther);
        List<String> problems = RetryWindows.problems(connection, "retryConnection", other, "retryOther", enforceRanges);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        Integer compression = dumpCompression == null ? base.dumpCompression() : level(dumpCompression);
        return new RunOptions(format, dj, compression, mode, rj, base.noOwner(), connection, other);
    }

    private static Duration duration(String field, String value) {
        try {
            return RetryDuration.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage());
        }
    }

    private static Integer level(int value) {
        if (value < 0 || value > 9) {
            throw new IllegalArgumentException("dumpCompression must be a gzip level between 0 (none) and 9, got " + value);
        }
        return value;
    }

    private static int range(String field, int value) {
        if (value < 1 || value > 64) {
            throw new IllegalArgumentException(field + " must be between 1 and 64, got " + value);
        }
        return value;
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String field, String value) {
        if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            // (not trimmed away: a value is what it says, or it is refused)
            throw new IllegalArgumentException(field + " holds a control character, which no value of it has");
        }
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            StringBuilder known = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                known.append(known.length() == 0 ? "" : ", ").append('"').append(c.name().toLowerCase(Locale.ROOT).replace('_', '-')).append('"');
            }
            throw new IllegalArgumentException(field + " must be one of " + known + ", got \"" + value + "\"");
        }
    }
}

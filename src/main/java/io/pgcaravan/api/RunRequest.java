package io.pgcaravan.api;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.config.JobConfig.RestoreMode;
import io.pgcaravan.run.RunOptions;

import java.util.Locale;

/**
 * Optional overrides for one run; anything left out comes from the job's configuration.
 *
 * @param dumpFormat  "custom" or "directory"
 * @param dumpJobs    parallel pg_dump jobs (directory format), 1-64
 * @param restoreMode "single-transaction" or "parallel"
 * @param restoreJobs parallel pg_restore jobs (parallel mode), 1-64
 */
public record RunRequest(String dumpFormat, Integer dumpJobs, String restoreMode, Integer restoreJobs) {

    /** The options of the run: the job's, with these overrides, checked. */
    public RunOptions apply(JobConfig job) {
        RunOptions base = RunOptions.of(job);
        DumpFormat format = dumpFormat == null ? base.dumpFormat() : parse(DumpFormat.class, "dumpFormat", dumpFormat);
        RestoreMode mode = restoreMode == null ? base.restoreMode() : parse(RestoreMode.class, "restoreMode", restoreMode);
        int dj = dumpJobs == null ? base.dumpJobs() : range("dumpJobs", dumpJobs);
        int rj = restoreJobs == null ? base.restoreJobs() : range("restoreJobs", restoreJobs);
        if (dj > 1 && format != DumpFormat.DIRECTORY) {
            throw new IllegalArgumentException("dumpJobs " + dj + " needs dumpFormat \"directory\"");
        }
        return new RunOptions(format, dj, mode, rj, base.noOwner());
    }

    private static int range(String field, int value) {
        if (value < 1 || value > 64) {
            throw new IllegalArgumentException(field + " must be between 1 and 64, got " + value);
        }
        return value;
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String field, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            StringBuilder known = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                known.append(known.length() == 0 ? "" : ", ").append('"').append(c.name().toLowerCase(Locale.ROOT).replace('_', '-')).append('"');
            }
            throw new IllegalArgumentException(field + " must be one of " + known + ", got \"" + value + "\"");
        }
    }
}

package io.pgcaravan.work;

import io.pgcaravan.config.RunOptions;

import io.pgcaravan.config.JobConfig;

import java.nio.file.Path;

/**
 * What a stage needs to know about the run it works for.
 *
 * @param stagingDir   the run's local staging directory (export half)
 * @param deliveryDir  the run's delivery directory in the drop directory, as the import half sees it
 * @param remoteDir    the run's delivery directory on the intermediate host, as the SFTP client sees it
 */
public record RunContext(String runId, String jobName, JobConfig job, RunOptions options,
                         Path stagingDir, Path deliveryDir, String remoteDir) {

    /** The dump inside the staging or delivery directory: a file (custom format) or a directory. */
    public static final String DUMP = "dump";
    /** The dump while pg_dump writes it (staging only): renamed to {@link #DUMP} when complete. */
    public static final String DUMP_PARTIAL = "dump.partial";
    public static final String MANIFEST = "manifest.json";
    /** The source's roles as pg_dumpall wrote them (0600: it holds password hashes). */
    public static final String ROLES = "roles.sql";
    /** The role statements the import half ran, as rewritten for the destination (0600). */
    public static final String ROLES_APPLIED = "roles.applied.sql";
    public static final String CHECKSUMS = "sha256";
    public static final String DONE = "DONE";
    public static final String RESULT = "result.json";
}

package io.pgcaravan.work;

import io.pgcaravan.config.RunOptions;

import io.pgcaravan.config.JobConfig;

import java.nio.file.Path;

/**
 * What a stage needs to know about the run it works for. The names of the files in its
 * directories are {@link io.pgcaravan.delivery.DeliveryFiles}.
 *
 * @param stagingDir   the run's local staging directory (export half)
 * @param deliveryDir  the run's delivery directory in the drop directory, as the import half sees it
 * @param remoteDir    the run's delivery directory on the intermediate host, as the SFTP client sees it
 * @param workDir      the import half's own directory for the run, outside the drop directory
 *                     ({@code <data-dir>/work/<run-id>}): the restore's lists and the verification's
 *                     schema scripts, kept for a DBA to read
 * @param verifiedDir  where the stages after the checksum read the delivery: the copy the checksum
 *                     stage made of it in the work directory ({@code <work>/delivery}, which only
 *                     the app can write), or the delivery itself with caravan.import.private-copy=false
 */
public record RunContext(String runId, String jobName, JobConfig job, RunOptions options,
                         Path stagingDir, Path deliveryDir, String remoteDir, Path workDir, Path verifiedDir) {

    /** The name of the verified copy in the work directory. */
    public static final String VERIFIED = "delivery";

    /** Whether the stages after the checksum read a copy of the delivery, not the drop directory. */
    public boolean privateCopy() {
        return !verifiedDir.equals(deliveryDir);
    }

    /** The same run, its delivery read from {@code dir} instead (the pipelined restore's pieces, checked as they arrived). */
    public RunContext readingFrom(Path dir) {
        return new RunContext(runId, jobName, job, options, stagingDir, deliveryDir, remoteDir, workDir, dir);
    }

    /** The work directory, made (owner only) if it is not there yet. */
    public Path workDirMade() throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(workDir)) {
            java.nio.file.Files.createDirectories(workDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        }
        return workDir;
    }

    /**
     * Whether the source's grants and default privileges travel: always, but with
     * restore.no-owner when the roles are not migrated either (there is nobody to grant them to).
     */
    public boolean privileges() {
        return !options.noOwner() || job.roles().migrate();
    }
}

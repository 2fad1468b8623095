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
 */
public record RunContext(String runId, String jobName, JobConfig job, RunOptions options,
                         Path stagingDir, Path deliveryDir, String remoteDir) {
}

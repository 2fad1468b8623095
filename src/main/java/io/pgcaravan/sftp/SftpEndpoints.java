package io.pgcaravan.sftp;

import io.pgcaravan.config.JobConfig.Intermediate;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The camel-ftp SFTP endpoint of a job's intermediate host. One URI per job (not per run or file),
 * so Camel reuses one producer and its SSH connection for all files of all runs of the job.
 */
@ApplicationScoped
@Named("sftpEndpoints")
public class SftpEndpoints {

    @Inject
    CaravanConfig config;

    /** The endpoint's URI: {@code sftp://} and {@link #address}. */
    public String uri(String jobName) {
        return "sftp://" + address(jobName);
    }

    /**
     * The job's intermediate host as the SFTP endpoint's address: {@code user@host:port?options},
     * the options being the key, the known hosts and how files are written. The upload route puts
     * it after {@code sftp://} itself, so that the route shows where the files go.
     */
    public String address(String jobName) {
        JobConfig job = config.jobs().get(jobName);
        if (job == null) {
            throw new java.util.NoSuchElementException("no job named '" + jobName + "' is configured");
        }
        Intermediate host = job.intermediate();
        StringBuilder uri = new StringBuilder()
                .append(enc(host.user())).append('@').append(host.host()).append(':').append(host.port())
                // no directory here: camel-ftp takes only relative ones; the file names carry the
                // absolute drop directory instead (RunContext.remoteDir)
                .append("?privateKeyFile=RAW(").append(host.privateKey()).append(')')
                .append("&knownHostsFile=RAW(").append(host.knownHosts()).append(')')
                .append("&useUserKnownHostsFile=false")
                .append("&strictHostKeyChecking=").append(host.strictHostKeyChecking() ? "yes" : "no")
                .append("&preferredAuthentications=publickey")
                .append("&connectTimeout=").append(host.connectTimeoutMs())
                .append("&serverAliveInterval=15000")
                .append("&binary=true&autoCreate=true&fileExist=Override")
                // the dump is the whole database, roles.sql holds password hashes: owner only
                .append("&chmod=600&chmodDirectory=700")
                // files are written under a temporary name and renamed when complete
                .append("&tempPrefix=.part-")
                .append("&jschLoggingLevel=WARN");
        host.privateKeyPassphrase().ifPresent(p -> uri.append("&privateKeyPassphrase=RAW(").append(p).append(')'));
        return uri.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

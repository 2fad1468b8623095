package io.pgcaravan.sftp;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.Intermediate;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.NoSuchElementException;

/**
 * The one SFTP client of a job's intermediate host: JSch, with one set of settings per job (the
 * key, the known hosts, the host key check, public keys only, the timeouts, the keep-alive).
 * Files are sent through camel-ftp's SFTP endpoint, which is JSch underneath, configured here
 * from the same settings; what that endpoint's producer does not do (listing what arrived,
 * clearing a run's earlier files, the link probe, the precheck's login, the back channel) uses a
 * JSch session opened here from those settings too, so the two can never disagree about a host.
 */
@ApplicationScoped
public class SftpClient {

    /** Milliseconds between SSH keep-alives: a dead link shows as a failure, not as a hang. */
    private static final int KEEP_ALIVE_MS = 15_000;
    /** Files are written under this prefix and renamed when complete. */
    public static final String TEMP_PREFIX = ".part-";

    @Inject
    io.pgcaravan.store.JobCatalog jobs;
    @Inject
    CaravanConfig config;

    /** An open session and its SFTP channel; closing it disconnects both. */
    public record Open(Session session, ChannelSftp sftp) implements AutoCloseable {
        @Override
        public void close() {
            sftp.disconnect();
            session.disconnect();
        }
    }

    /** The camel-ftp endpoint's URI: {@code sftp://} and {@link #address}. */
    public String uri(String jobName) {
        return "sftp://" + address(jobName);
    }

    /**
     * The job's intermediate host as the SFTP endpoint's address: {@code user@host:port?options}.
     * One address per job (not per run or file), so Camel reuses one producer and its SSH
     * connection for all files of all runs of the job. The upload route puts it after
     * {@code sftp://} itself, so that the route shows where the files go.
     */
    public String address(String jobName) {
        Intermediate host = host(jobName);
        StringBuilder uri = new StringBuilder()
                .append(enc(host.user())).append('@').append(host.host()).append(':').append(host.port())
                // no directory here: camel-ftp takes only relative ones; the file names carry the
                // absolute drop directory instead (RunContext.remoteDir)
                .append("?privateKeyFile=RAW(").append(host.privateKey()).append(')')
                .append("&knownHostsFile=RAW(").append(host.knownHosts()).append(')')
                .append("&useUserKnownHostsFile=false")
                .append("&strictHostKeyChecking=").append(strict(host))
                .append("&preferredAuthentications=publickey")
                .append("&connectTimeout=").append(host.connectTimeoutMs())
                .append("&serverAliveInterval=").append(KEEP_ALIVE_MS)
                .append("&binary=true&autoCreate=true&fileExist=Override")
                // the dump is the whole database, roles.sql holds password hashes: owner only, or
                // the account's group too when the import agent is a member of it (group-access)
                .append(host.groupAccess() ? "&chmod=640&chmodDirectory=770" : "&chmod=600&chmodDirectory=700")
                // files are written under a temporary name and renamed when complete
                .append("&tempPrefix=").append(TEMP_PREFIX)
                .append("&jschLoggingLevel=WARN");
        host.privateKeyPassphrase().ifPresent(p -> uri.append("&privateKeyPassphrase=RAW(").append(p).append(')'));
        return uri.toString();
    }

    /** A JSch session to the job's intermediate host, with the settings of its endpoint. */
    public Open open(String jobName) throws JSchException {
        return open(host(jobName));
    }

    /** A JSch session to an intermediate host, with the settings {@link #address} gives its endpoint. */
    public static Open open(Intermediate host) throws JSchException {
        JSch jsch = new JSch();
        if (Files.isReadable(host.knownHosts())) {
            jsch.setKnownHosts(host.knownHosts().toString());
        }
        jsch.addIdentity(host.privateKey().toString(),
                host.privateKeyPassphrase().map(p -> p.getBytes(StandardCharsets.UTF_8)).orElse(null));
        Session session = jsch.getSession(host.user(), host.host(), host.port());
        session.setConfig("StrictHostKeyChecking", strict(host));
        session.setConfig("PreferredAuthentications", "publickey");
        session.setServerAliveInterval(KEEP_ALIVE_MS);
        session.connect(host.connectTimeoutMs());
        try {
            ChannelSftp sftp = (ChannelSftp) session.openChannel("sftp");
            sftp.connect(host.connectTimeoutMs());
            return new Open(session, sftp);
        } catch (JSchException e) {
            session.disconnect();
            throw e;
        }
    }

    private Intermediate host(String jobName) {
        return jobs.find(jobName).orElseThrow(() -> new NoSuchElementException("no job named '" + jobName + "' is configured"))
                .intermediate();
    }

    private static String strict(Intermediate host) {
        return host.strictHostKeyChecking() ? "yes" : "no";
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

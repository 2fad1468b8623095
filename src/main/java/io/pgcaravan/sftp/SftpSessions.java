package io.pgcaravan.sftp;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import io.pgcaravan.config.JobConfig.Intermediate;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/** Opens JSch SFTP sessions to an intermediate host with the job's key and known_hosts, as the upload does. */
public final class SftpSessions {

    private SftpSessions() {
    }

    /** An open session and its SFTP channel; closing it disconnects both. */
    public record Open(Session session, ChannelSftp sftp) implements AutoCloseable {
        @Override
        public void close() {
            sftp.disconnect();
            session.disconnect();
        }
    }

    public static Open open(Intermediate host) throws JSchException {
        JSch jsch = new JSch();
        if (Files.isReadable(host.knownHosts())) {
            jsch.setKnownHosts(host.knownHosts().toString());
        }
        jsch.addIdentity(host.privateKey().toString(),
                host.privateKeyPassphrase().map(p -> p.getBytes(StandardCharsets.UTF_8)).orElse(null));
        Session session = jsch.getSession(host.user(), host.host(), host.port());
        session.setConfig("StrictHostKeyChecking", host.strictHostKeyChecking() ? "yes" : "no");
        session.setConfig("PreferredAuthentications", "publickey");
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
}

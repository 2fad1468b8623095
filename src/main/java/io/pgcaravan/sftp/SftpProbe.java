package io.pgcaravan.sftp;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.SftpATTRS;
import com.jcraft.jsch.SftpException;
import com.jcraft.jsch.SftpStatVFS;
import io.pgcaravan.config.JobConfig.Intermediate;
import io.pgcaravan.retry.FailureClass;
import io.pgcaravan.retry.FailureClassifier;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;

/**
 * Logs in to the intermediate host the way the upload will (same key, same known_hosts, host key
 * verified) and checks that the drop directory is there and writable.
 */
public final class SftpProbe {

    private SftpProbe() {
    }

    /**
     * What the probe found: a one-line description, and the drop directory's free space in bytes
     * (null when the server does not tell: statvfs is an OpenSSH extension).
     */
    public record Result(String message, Long freeBytes) {
    }

    /** Logs in, checks the drop directory; throws with a clear message when the host cannot be used. */
    public static Result check(Intermediate host, String probeName) throws ProbeException {
        if (!Files.isReadable(host.privateKey())) {
            throw new ProbeException("private key " + host.privateKey() + " is missing or unreadable");
        }
        if (host.strictHostKeyChecking() && !Files.isReadable(host.knownHosts())) {
            throw new ProbeException("known_hosts file " + host.knownHosts() + " is missing or unreadable");
        }
        try (SftpClient.Open open = SftpClient.open(host)) {
            ChannelSftp sftp = open.sftp();
            SftpATTRS attrs = sftp.stat(host.dropDir());
            if (!attrs.isDir()) {
                throw new ProbeException("drop directory " + host.dropDir() + " is not a directory");
            }
            String probe = host.dropDir().replaceAll("/+$", "") + "/.precheck-" + probeName;
            sftp.put(new ByteArrayInputStream(new byte[0]), probe);
            sftp.rm(probe);
            return new Result("logged in as " + host.user() + "@" + host.host() + ":" + host.port()
                    + (host.strictHostKeyChecking() ? " (host key verified)" : " (HOST KEY NOT VERIFIED)")
                    + ", drop directory " + host.dropDir() + " writable", freeBytes(sftp, host.dropDir()));
        } catch (SftpException e) {
            throw new ProbeException("drop directory " + host.dropDir() + ": " + sftpReason(e));
        } catch (JSchException e) {
            throw new ProbeException(describe(e, host), FailureClassifier.classify(e) == FailureClass.CONNECTION);
        }
    }

    private static Long freeBytes(ChannelSftp sftp, String dir) {
        try {
            SftpStatVFS vfs = sftp.statVFS(dir);
            return vfs.getAvailBlocks() * vfs.getFragmentSize();
        } catch (SftpException e) {
            return null; // the server does not support statvfs@openssh.com
        }
    }

    private static String sftpReason(SftpException e) {
        return switch (e.id) {
            case ChannelSftp.SSH_FX_NO_SUCH_FILE -> "does not exist";
            case ChannelSftp.SSH_FX_PERMISSION_DENIED -> "permission denied";
            default -> e.getMessage();
        };
    }

    static String describe(JSchException e, Intermediate host) {
        String where = host.host() + ":" + host.port();
        String msg = String.valueOf(e.getMessage());
        if (msg.startsWith("UnknownHostKey") || msg.startsWith("reject HostKey")) {
            return "host key of " + where + " is not in " + host.knownHosts()
                    + ": add the intermediate host's key (e.g. from ssh-keyscan, checked against the host) to trust it";
        }
        if (msg.startsWith("HostKey has been changed")) {
            return "host key of " + where + " has CHANGED since it was recorded in " + host.knownHosts()
                    + ": someone may be intercepting the connection, or the host was reinstalled; "
                    + "verify the new key before updating known_hosts";
        }
        if (msg.contains("Auth fail") || msg.contains("Auth cancel")) {
            return "authentication as " + host.user() + "@" + where + " with key " + host.privateKey() + " was refused";
        }
        return "cannot connect to " + where + ": " + msg;
    }

    /** The intermediate host cannot be used; the message says why. */
    public static class ProbeException extends Exception {
        private final boolean unreachable;

        public ProbeException(String message) {
            this(message, false);
        }

        public ProbeException(String message, boolean unreachable) {
            super(message);
            this.unreachable = unreachable;
        }

        /** The host could not be reached at all (it may come back), rather than refusing us. */
        public boolean unreachable() {
            return unreachable;
        }
    }
}

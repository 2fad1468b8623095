package io.pgcaravan.it;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

/**
 * What the SFTP account of the intermediate host can do to the drop directory, done over SFTP
 * as that account (caravan-drop, the local stack's key) against the stack's real sshd: nothing
 * more than any holder of that account could.
 */
final class DropUser implements AutoCloseable {

    private final Session session;
    private final ChannelSftp sftp;

    DropUser() throws Exception {
        JSch jsch = new JSch();
        jsch.setKnownHosts(Stack.DIR.resolve("client/known_hosts").toString());
        jsch.addIdentity(Stack.DIR.resolve("client/id_ed25519").toString());
        session = jsch.getSession("caravan-drop", "127.0.0.1", Stack.SSH_PORT);
        session.setConfig("PreferredAuthentications", "publickey");
        session.connect(10_000);
        sftp = (ChannelSftp) session.openChannel("sftp");
        sftp.connect(10_000);
    }

    /** {@code sftp> ln -s target link}. */
    void symlink(String target, String link) throws Exception {
        sftp.symlink(target, link);
    }

    void mkdir(String path) throws Exception {
        sftp.mkdir(path);
    }

    void put(String path, String content) throws Exception {
        sftp.put(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), path);
    }

    void putFile(java.nio.file.Path local, String path) throws Exception {
        sftp.put(local.toString(), path);
    }

    void rename(String from, String to) throws Exception {
        sftp.rename(from, to);
    }

    void rm(String path) throws Exception {
        sftp.rm(path);
    }

    @Override
    public void close() {
        sftp.disconnect();
        session.disconnect();
    }
}

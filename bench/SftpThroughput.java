import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Uploads one file with JSch, the SFTP client pg-caravan's camel-ftp uses, as its producer does
 * (ChannelSftp.put of a stream), and prints the seconds it took. Run by bench/bench.py:
 *   java -cp <jsch.jar> bench/SftpThroughput.java host port user key known_hosts local remote
 */
public class SftpThroughput {
    public static void main(String[] a) throws Exception {
        JSch jsch = new JSch();
        if (System.getProperty("cipher") != null) {
            JSch.setConfig("cipher.c2s", System.getProperty("cipher"));
        }
        jsch.addIdentity(a[3]);
        jsch.setKnownHosts(a[4]);
        Session session = jsch.getSession(a[2], a[0], Integer.parseInt(a[1]));
        session.setConfig("StrictHostKeyChecking", "yes");
        session.connect(15000);
        ChannelSftp sftp = (ChannelSftp) session.openChannel("sftp");
        sftp.connect();
        long t0 = System.nanoTime();
        try (InputStream in = Files.newInputStream(Path.of(a[5]))) {
            sftp.put(in, a[6]);
        }
        System.out.println((System.nanoTime() - t0) / 1e9 + " " + session.getConfig("cipher.c2s").split(",")[0]);
        sftp.disconnect();
        session.disconnect();
    }
}

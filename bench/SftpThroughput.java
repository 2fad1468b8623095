import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Uploads one file with JSch, the SFTP client pg-caravan's camel-ftp uses, as its producer does
 * (ChannelSftp.put of a stream), and prints the seconds it took and the cipher. Run by bench/bench.py:
 *   java -cp <jsch.jar> [-Dcipher=aes128-ctr] [-Dstreams=N] [-Dbulk=N] bench/SftpThroughput.java
 *        host port user key known_hosts local remote
 * streams=N uploads the file N times at once, each over its own SSH connection (as N parallel
 * senders would), to remote.1 … remote.N; the seconds are from the first byte to the last.
 * bulk=N is JSch's number of write requests in flight per stream (its default is 16).
 */
public class SftpThroughput {
    public static void main(String[] a) throws Exception {
        JSch jsch = new JSch();
        if (System.getProperty("cipher") != null) {
            JSch.setConfig("cipher.c2s", System.getProperty("cipher"));
            JSch.setConfig("cipher.s2c", System.getProperty("cipher"));
        }
        jsch.addIdentity(a[3]);
        jsch.setKnownHosts(a[4]);
        int streams = Integer.getInteger("streams", 1);
        List<Session> sessions = new ArrayList<>();
        List<ChannelSftp> channels = new ArrayList<>();
        for (int i = 0; i < streams; i++) { // connected before the clock starts: the transfer is measured
            Session session = jsch.getSession(a[2], a[0], Integer.parseInt(a[1]));
            session.setConfig("StrictHostKeyChecking", "yes");
            session.connect(15000);
            ChannelSftp sftp = (ChannelSftp) session.openChannel("sftp");
            sftp.connect();
            if (Integer.getInteger("bulk") != null) {
                sftp.setBulkRequests(Integer.getInteger("bulk"));
            }
            sessions.add(session);
            channels.add(sftp);
        }
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        long t0 = System.nanoTime();
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            ChannelSftp sftp = channels.get(i);
            String remote = streams == 1 ? a[6] : a[6] + "." + (i + 1);
            sent.add(pool.submit(() -> {
                try (InputStream in = Files.newInputStream(Path.of(a[5]))) {
                    sftp.put(in, remote);
                }
                return null;
            }));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        System.out.println((System.nanoTime() - t0) / 1e9 + " " + sessions.get(0).getConfig("cipher.c2s").split(",")[0]);
        pool.shutdown();
        channels.forEach(ChannelSftp::disconnect);
        sessions.forEach(Session::disconnect);
    }
}

package io.pgcaravan.sftp;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpException;

import java.io.OutputStream;
import java.util.Random;

/**
 * Measures how fast files go up to the intermediate host: writes incompressible bytes to a
 * scratch file for up to 0.75 s (at most {@link #MAX_BYTES}) and removes it again. The dump's
 * compression is chosen from the result.
 */
public final class LinkProbe {

    static final int MAX_BYTES = 48 << 20;
    private static final int WINDOW_BYTES = 4 << 20;
    private static final long BUDGET_NANOS = 750_000_000L;

    private LinkProbe() {
    }

    /**
     * Bytes per second written to {@code dir} on the intermediate host (created if missing): the
     * best rate over any 4 MiB of the probe but the first (which only fills buffers), or over all
     * of it on a link too slow for two windows in time. The best window, because a process that
     * has just started encrypts slowly until the JIT has compiled the cipher: a cold start must not
     * make a fast link look slow.
     */
    public static double bytesPerSecond(ChannelSftp sftp, String dir) throws SftpException, java.io.IOException {
        byte[] chunk = new byte[256 << 10];
        new Random(42).nextBytes(chunk); // random: SSH compression, if any, must not flatter the link
        String scratch = dir + "/.link-probe";
        mkdirs(sftp, dir);
        long sent = 0;
        double best = 0;
        long start = System.nanoTime();
        long windowStart = start;
        long windowSent = 0;
        int windows = 0;
        try (OutputStream out = sftp.put(scratch, ChannelSftp.OVERWRITE)) {
            while (sent < MAX_BYTES && System.nanoTime() - start < BUDGET_NANOS) {
                out.write(chunk);
                sent += chunk.length;
                windowSent += chunk.length;
                if (windowSent >= WINDOW_BYTES) {
                    long now = System.nanoTime();
                    if (windows++ > 0) { // the first only fills the channel's buffers
                        best = Math.max(best, windowSent * 1e9 / (now - windowStart));
                    }
                    windowStart = now;
                    windowSent = 0;
                }
            }
        }
        long nanos = System.nanoTime() - start; // the close above waits for the last acknowledgement
        sftp.rm(scratch);
        return Math.max(best, sent * 1e9 / nanos);
    }

    private static void mkdirs(ChannelSftp sftp, String dir) throws SftpException {
        StringBuilder path = new StringBuilder();
        for (String part : dir.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            path.append('/').append(part);
            try {
                sftp.stat(path.toString());
            } catch (SftpException e) {
                if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                    throw e;
                }
                sftp.mkdir(path.toString());
            }
        }
    }
}

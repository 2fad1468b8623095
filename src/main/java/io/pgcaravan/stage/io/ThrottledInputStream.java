package io.pgcaravan.stage.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reads no faster than a given rate: keeps an upload from filling a link that others need too. */
public final class ThrottledInputStream extends FilterInputStream {

    /** The stream as the intermediate host's bandwidth limit allows it to be sent (itself when there is none). */
    public static InputStream of(io.pgcaravan.config.JobConfig.Intermediate host, InputStream in) {
        long limit = host.maxBytesPerSecond();
        return limit > 0 ? new ThrottledInputStream(in, limit) : in;
    }

    private final long bytesPerSecond;
    private final long start = System.nanoTime();
    private long read;

    public ThrottledInputStream(InputStream in, long bytesPerSecond) {
        super(in);
        this.bytesPerSecond = bytesPerSecond;
    }

    @Override
    public int read() throws IOException {
        throttle();
        int b = super.read();
        if (b >= 0) {
            read++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        throttle();
        // small slices keep the rate smooth
        int n = super.read(b, off, (int) Math.min(len, Math.max(1024, bytesPerSecond / 10)));
        if (n > 0) {
            read += n;
        }
        return n;
    }

    private void throttle() throws IOException {
        long dueNanos = read * 1_000_000_000L / bytesPerSecond;
        long waitNanos = dueNanos - (System.nanoTime() - start);
        if (waitNanos > 0) {
            try {
                Thread.sleep(waitNanos / 1_000_000L, (int) (waitNanos % 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("upload interrupted", e);
            }
        }
    }
}

package io.pgcaravan.stage.io;

import io.pgcaravan.track.Progress;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts the bytes of a file as the SFTP producer reads it, for the upload's progress; a closed file is one file done. */
public final class CountingInputStream extends FilterInputStream {

    private final Progress.Counter counter;
    private final java.util.function.LongConsumer sent;
    private boolean closed;

    public CountingInputStream(InputStream in, Progress.Counter counter, java.util.function.LongConsumer sent) {
        super(in);
        this.counter = counter;
        this.sent = sent;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            if (counter != null) {
                counter.addBytes(1);
            }
            sent.accept(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            if (counter != null) {
                counter.addBytes(n);
            }
            sent.accept(n);
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        super.close();
        if (!closed) {
            closed = true;
            if (counter != null) {
                counter.step();
            }
        }
    }
}

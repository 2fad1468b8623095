package io.pgcaravan.stage.dump;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * A file pg_dump is still writing, read as it grows: at its current end the stream waits until
 * more has been written, and ends once no other process holds the file open (or pg_dump has
 * exited) and everything written has been read. pg_dump writes each data file front to back and
 * never opens it again once it has closed it, so what this stream gives is normally the whole file;
 * {@link #bytesRead()} is compared with the file's final size once pg_dump has succeeded, since
 * what /proc shows may be wrong for a moment (a file just created, not yet in its writer's file
 * table). Lets the link carry a table's bytes while the table is being dumped instead of after.
 */
final class GrowingFileStream extends InputStream {

    private static final long WAIT_MS = 40;

    private final Path file;
    private final InputStream in;
    private final BooleanSupplier writerDone;
    private long read;
    private boolean closedSeen;

    /** {@code writerDone}: pg_dump has exited (a third process holding the file open must not keep the stream waiting). */
    GrowingFileStream(Path file, BooleanSupplier writerDone) throws IOException {
        this.file = file;
        this.writerDone = writerDone;
        this.in = Files.newInputStream(file);
    }

    /** Bytes given so far: the file's size once the stream has ended. */
    long bytesRead() {
        return read;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            int n = in.read(b, off, len);
            if (n > 0) {
                read += n;
                return n;
            }
            if (closedSeen) {
                return -1; // closed before this read found nothing more: the end
            }
            // the writer closes, then this read finds the rest: so only a read after seeing it closed may end
            closedSeen = writerDone.getAsBoolean() || !OpenFiles.heldByOthers(file);
            if (!closedSeen) {
                try {
                    Thread.sleep(WAIT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("stopped while waiting for pg_dump to write " + file.getFileName());
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}

package io.pgcaravan.delivery;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * zstd for a dump's table files on a slow link: pg_dump writes them uncompressed (cheap), and
 * they are compressed as they are sent, at a fraction of gzip's CPU for fewer bytes
 * (bench: 165 MiB at level 1 against gzip level 1's 187 MiB, in 1.7 s of CPU against 5.9 s, for
 * the 480 MiB of table data of the 1 GB database). A compressed file is delivered under its name
 * plus {@link #SUFFIX}, with zstd's own content checksum in every frame. The import half copies
 * it as delivered, checks its SHA-256, and only then decompresses the copy: nothing the drop
 * directory holds is decompressed before it is known to be what the export half sent.
 */
public final class Zstd {

    public static final String SUFFIX = ".zst";
    /**
     * How many times its size a compressed table file is expected to take decompressed, for the
     * space a checked copy needs (zstd does not know a streamed file's size in advance). Table
     * data compressed about 3:1 at level 1 in the bench; 4 leaves room for data that compresses better.
     */
    public static final int EXPANSION_ESTIMATE = 4;
    private static final int CHUNK = 1 << 20;

    private Zstd() {
    }

    /** Whether a delivery's file (relative name) is one this class compressed. */
    public static boolean compressed(String name) {
        return name.startsWith(DeliveryFiles.DUMP + "/") && name.endsWith(SUFFIX);
    }

    /** The name the file has once decompressed. */
    public static String decompressedName(String name) {
        return name.substring(0, name.length() - SUFFIX.length());
    }

    /**
     * {@code raw} compressed as it is read, and what it gives written to {@code copy} too (the
     * export half keeps what it sent, for a retry or a resend). Closing it closes both.
     */
    public static InputStream compressing(InputStream raw, int level, OutputStream copy) throws IOException {
        return new Compressing(raw, level, copy);
    }

    /** Compresses one file into a new one (the files pg_dump finished before they could be sent while dumping). */
    public static void compress(Path from, Path to, int level) throws IOException {
        try (InputStream raw = Files.newInputStream(from);
             OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             InputStream in = compressing(raw, level, out)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    /**
     * Decompresses a checked file of the app's own into a new one (0600) and removes it.
     *
     * @throws IOException also when it is not whole zstd data (zstd's checksums included)
     */
    public static void decompress(Path from, Path to) throws IOException {
        byte[] buffer = new byte[CHUNK];
        try (InputStream in = new ZstdInputStreamNoFinalizer(Files.newInputStream(from));
             OutputStream out = Files.newOutputStream(Files.createFile(to,
                     PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
        }
        Files.delete(from);
    }

    /** Pulls raw bytes through zstd's streaming compressor; what comes out is buffered on the heap, a compressor job's worth at most. */
    private static final class Compressing extends InputStream {
        private final InputStream raw;
        private final OutputStream copy;
        private final Sink sink = new Sink();
        private final ZstdOutputStreamNoFinalizer zstd;
        private final byte[] chunk = new byte[CHUNK];
        private int pos;
        private boolean ended;

        Compressing(InputStream raw, int level, OutputStream copy) throws IOException {
            this.raw = raw;
            this.copy = copy;
            this.zstd = new ZstdOutputStreamNoFinalizer(sink, level);
            try {
                zstd.setChecksum(true);
                // one thread: level 1 compresses hundreds of MB/s on a core, far more than a link
                // slow enough to compress for; zstd's worker threads would only add native memory
                // (the app's resident memory reached 375 MB with one per core, against 287 MB without zstd)
            } catch (IOException | RuntimeException e) {
                zstd.close();
                throw e;
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (pos >= sink.size()) {
                if (ended) {
                    return -1;
                }
                sink.reset();
                pos = 0;
                int n = raw.read(chunk);
                if (n < 0) {
                    zstd.close(); // the frame's end and checksum
                    ended = true;
                } else {
                    zstd.write(chunk, 0, n);
                }
                copy.write(sink.bytes(), 0, sink.size());
            }
            int n = Math.min(len, sink.size() - pos);
            System.arraycopy(sink.bytes(), pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            try (raw; copy) {
                if (!ended) {
                    zstd.close(); // frees the native compressor
                }
            }
        }
    }

    private static final class Sink extends ByteArrayOutputStream {
        byte[] bytes() {
            return buf;
        }
    }
}

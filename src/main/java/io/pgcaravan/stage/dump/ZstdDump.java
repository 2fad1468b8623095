package io.pgcaravan.stage.dump;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.Zstd;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A directory-format dump whose table files go up zstd-compressed ({@link Zstd}): pg_dump writes
 * them uncompressed, {@link EarlyUpload} compresses those it sends while pg_dump runs and keeps the
 * compressed bytes beside them, and once pg_dump has succeeded this class makes the dump hold every
 * data file compressed, and nothing else but the table of contents.
 */
public final class ZstdDump {

    /** Exchange property: the zstd level the run's table files are sent with (0: none). */
    public static final String PROPERTY = "CaravanDumpZstd";
    /** A compressed copy still being written. */
    static final String PARTIAL_SUFFIX = ".partial";

    private ZstdDump() {
    }

    /** A file pg_dump wrote, not one made from it. */
    static boolean raw(String name) {
        return !name.endsWith(Zstd.SUFFIX) && !name.endsWith(PARTIAL_SUFFIX);
    }

    /**
     * pg_dump has succeeded and every file is final: with zstd, each data file's compressed copy
     * is kept if it was made from the whole file (the bytes read while it grew are its final size),
     * and made now otherwise (not sent during the dump, or ended early because /proc misled the
     * sender), its record of what was sent dropped then; pg_dump's own files go, and whatever an
     * interrupted send left half-written. The table of contents stays as it is.
     */
    static void settle(Map<String, SentFile> records, Path dir, int level) throws IOException {
        List<Path> toCompress = new java.util.ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.dat*")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(PARTIAL_SUFFIX)) {
                    Files.delete(f);
                } else if (raw(name) && !name.startsWith("toc.")) {
                    Path kept = f.resolveSibling(name + Zstd.SUFFIX);
                    String key = DeliveryFiles.DUMP + "/" + name + Zstd.SUFFIX;
                    SentFile s = records.get(key);
                    if (s == null || s.rawBytes() != Files.size(f) || !Files.exists(kept)) {
                        records.remove(key);
                        Files.deleteIfExists(kept);
                        toCompress.add(f);
                    } else {
                        Files.delete(f);
                    }
                }
            }
        }
        // one file per core at once (each is compressed on one thread)
        java.util.concurrent.ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            List<Future<Void>> done = new java.util.ArrayList<>();
            for (Path f : toCompress) {
                done.add(pool.submit(() -> {
                    Zstd.compress(f, f.resolveSibling(f.getFileName() + Zstd.SUFFIX), level);
                    Files.delete(f);
                    return null;
                }));
            }
            for (Future<Void> d : done) {
                d.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("stopped while compressing the dump's table files");
        } finally {
            pool.shutdownNow();
        }
    }
}

package io.pgcaravan.stage;

import io.pgcaravan.delivery.Sha256;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The SHA-256 of each of a delivery's files (or, when a copy is named, of that copy once made:
 * Sha256#copy), on as many threads as there are cores, the largest files first: one file is hashed
 * in order, but a dump of several table files need not wait for each in turn. Measured at 1 GB on
 * 2 cores, when the copy was still hashed as it was written: the checked copy took the checksum
 * stage from 0.4 to 1.5 s on one thread, 0.9 s on two (docs/benchmarks.md).
 */
final class FileHashes {

    private FileHashes() {
    }

    /** The hashes, in the order of {@code files} ({file, copy or null} each). */
    static List<String> of(List<Path[]> files) throws IOException {
        return of(files, f -> f[1] == null ? Sha256.of(f[0]) : Sha256.copy(f[0], f[1]));
    }

    private interface Hash {
        String of(Path[] file) throws IOException;
    }

    private static List<String> of(List<Path[]> files, Hash hash) throws IOException {
        if (files.isEmpty()) {
            return List.of();
        }
        int threads = Math.min(files.size(), Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "checksum");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Integer> largestFirst = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                largestFirst.add(i);
            }
            largestFirst.sort(Comparator.comparingLong((Integer i) -> size(files.get(i)[0])).reversed());
            List<Future<String>> futures = new ArrayList<>(java.util.Collections.nCopies(files.size(), null));
            for (int i : largestFirst) {
                Path[] f = files.get(i);
                futures.set(i, pool.submit(() -> hash.of(f)));
            }
            List<String> out = new ArrayList<>();
            for (Future<String> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while checking the delivery", e);
        } finally {
            pool.shutdownNow();
            try {
                // (what failed is cleaned up after this: nothing may still be writing a copy then)
                pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Something done to a file that may fail. */
    interface FileWork {
        void on(Path[] file) throws IOException;
    }

    /** {@code work} on each file, on as many threads as there are cores, the largest first; the first failure is thrown. */
    static void each(List<Path[]> files, FileWork work) throws IOException {
        of(files, f -> {
            work.on(f);
            return "";
        });
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

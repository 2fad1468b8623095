package io.pgcaravan.stage.pipeline;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.DeliveryTree;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.pg.PgConnections;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Loads the pieces of the tables that travel in pieces (TablePieces) into the destination: each a
 * COPY ... FROM STDIN of its file in the checked copy, in one transaction of its own (a COPY that
 * fails or is stopped leaves none of its rows), with the restore's session settings. The file is
 * the one the signed manifest names, opened without following a link; the statement is built from
 * the manifest's names, quoted. A thread interrupted stops its COPY (the file's next read fails).
 */
public final class PieceLoad {

    private PieceLoad() {
    }

    /** The manifest's tables in pieces, each checked ({@link TablePieces#problem}): one that is not fit refuses them all. */
    public static List<TablePieces> checked(List<TablePieces> tables) throws IOException {
        java.util.Set<Long> oids = new java.util.HashSet<>();
        for (TablePieces t : tables) {
            String problem = t.problem();
            if (problem != null || !oids.add(t.oid())) {
                throw new IOException("the manifest's tables in pieces are not as the export half writes them: "
                        + (problem != null ? problem : t.display() + " twice"));
            }
        }
        return tables;
    }

    /** Every piece's file by its name, with its table. */
    public static Map<String, TablePieces> byFile(List<TablePieces> tables) {
        Map<String, TablePieces> out = new LinkedHashMap<>();
        tables.forEach(t -> t.pieces().forEach(p -> out.put(p.file(), t)));
        return out;
    }

    /** Loads one piece from {@code dumpDir}; returns its rows. */
    public static long load(JobConfig.DatabaseEndpoint dst, Map<String, String> settings, TablePieces table, String file, Path dumpDir)
            throws SQLException, IOException {
        try (Connection c = PgConnections.open(dst, dst.database())) {
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config(?, ?, false)")) {
                for (Map.Entry<String, String> s : settings.entrySet()) {
                    ps.setString(1, s.getKey());
                    ps.setString(2, s.getValue());
                    ps.execute();
                }
            }
            try (InputStream in = new Stoppable(DeliveryTree.open(dumpDir.resolve(file)))) {
                return new CopyManager(c.unwrap(BaseConnection.class)).copyIn(table.copyIn(), in, 1 << 16);
            }
        }
    }

    /** Loads the pieces named (files in {@code dumpDir}), {@code jobs} at once; the first failure once all have ended. */
    public static long loadAll(JobConfig.DatabaseEndpoint dst, Map<String, String> settings, Map<String, TablePieces> pieces,
                               Path dumpDir, int jobs) throws Exception {
        List<String> files = new ArrayList<>(pieces.keySet());
        if (files.isEmpty()) {
            return 0;
        }
        int workers = Math.max(1, Math.min(jobs, files.size()));
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "piece-load");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger next = new AtomicInteger();
        long[] rows = new long[workers];
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int me = w;
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < files.size(); i = next.getAndIncrement()) {
                        rows[me] += load(dst, settings, pieces.get(files.get(i)), files.get(i), dumpDir);
                    }
                    return null;
                }));
            }
            Exception failed = null;
            for (Future<Void> f : done) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    failed = failed != null ? failed : e.getCause() instanceof Exception x ? x : e;
                    next.set(files.size()); // (no piece begins after a failure)
                }
            }
            if (failed != null) {
                throw failed;
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            throw e;
        } finally {
            pool.shutdownNow();
        }
        long sum = 0;
        for (long r : rows) {
            sum += r;
        }
        return sum;
    }

    /** The dump directory of a checked copy or the pipeline's copies. */
    public static Path dumpDir(Path dir) {
        return dir.resolve(DeliveryFiles.DUMP);
    }

    /** A piece's bytes, ended as an error once its thread is interrupted (the COPY is aborted, its transaction with it). */
    private static final class Stoppable extends FilterInputStream {
        Stoppable(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException("stopped while loading a piece");
            }
            return super.read(b, off, len);
        }
    }
}

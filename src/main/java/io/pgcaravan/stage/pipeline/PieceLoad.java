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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

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

    /**
     * The session a piece is read in, whatever the destination database's defaults: the format the
     * export half wrote it in (SnapshotReader's money format), XML fragments as pg_restore accepts
     * them (a database set to xmloption=document would refuse them), and no row security, as
     * pg_restore (a policy fails the COPY rather than filtering it). After the job's settings:
     * they describe the file, not the tuning.
     */
    static final Map<String, String> AS_WRITTEN = Map.of("lc_monetary", "C", "xmloption", "content", "row_security", "off");

    /** Loads one piece from {@code dumpDir}; returns its rows. */
    public static long load(JobConfig.DatabaseEndpoint dst, Map<String, String> settings, TablePieces table, String file, Path dumpDir)
            throws SQLException, IOException {
        return load(dst, settings, table, file, dumpDir, null);
    }

    /** As {@link #load}, its connection in {@code open} (if given) while it loads, for {@link PgConnections#cancelAll}. */
    private static long load(JobConfig.DatabaseEndpoint dst, Map<String, String> settings, TablePieces table, String file, Path dumpDir,
                             Set<BaseConnection> open) throws SQLException, IOException {
        try (Connection c = PgConnections.open(dst, dst.database())) {
            BaseConnection base = c.unwrap(BaseConnection.class);
            Map<String, String> session = new LinkedHashMap<>(settings);
            session.putAll(AS_WRITTEN);
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config(?, ?, false)")) {
                for (Map.Entry<String, String> s : session.entrySet()) {
                    ps.setString(1, s.getKey());
                    ps.setString(2, s.getValue());
                    ps.execute();
                }
            }
            if (open != null) {
                open.add(base);
            }
            try (InputStream in = new Stoppable(DeliveryTree.open(dumpDir.resolve(file)))) {
                return new CopyManager(base).copyIn(table.copyIn(), in, 1 << 16);
            } finally {
                if (open != null) {
                    open.remove(base);
                }
            }
        }
    }

    /**
     * Loads the pieces named (files in {@code dumpDir}), {@code jobs} at once; the first failure
     * once all have ended. While it runs, {@code hold} holds what stops it (a cancel: no piece
     * begins, and the COPYs under way are cancelled on the server) until what it returns is closed.
     */
    public static long loadAll(JobConfig.DatabaseEndpoint dst, Map<String, String> settings, Map<String, TablePieces> pieces,
                               Path dumpDir, int jobs, Function<AutoCloseable, AutoCloseable> hold) throws Exception {
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
        Set<BaseConnection> open = ConcurrentHashMap.newKeySet();
        try (AutoCloseable held = hold.apply(() -> {
            next.set(files.size());
            pool.shutdownNow();
            PgConnections.cancelAll(open);
        })) {
            List<Future<Void>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int me = w;
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < files.size(); i = next.getAndIncrement()) {
                        rows[me] += load(dst, settings, pieces.get(files.get(i)), files.get(i), dumpDir, open);
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

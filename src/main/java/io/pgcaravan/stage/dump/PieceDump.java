package io.pgcaravan.stage.dump;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.SnapshotReader;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.RunContexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The pieces of the tables that travel in pieces ({@link PiecePlan}), each a COPY of a range of
 * pages in the dump's snapshot written into pg_dump's directory beside its files while it runs, on
 * the dump's jobs. pg_dump reads one table on one connection whatever its jobs; pieces are read at once, and
 * restored at once. A file being written counts as open ({@link OpenFiles#writing}), so the early
 * upload follows it as it grows as it does pg_dump's.
 */
@ApplicationScoped
@Named("pieceDump")
public class PieceDump {

    private static final Logger LOG = Logger.getLogger(PieceDump.class);
    /** Exchange property: the run's tables in pieces (List of TablePieces), for the pieces' branch and the manifest. */
    public static final String PROPERTY = "CaravanTablePieces";
    private static final long WAIT_FOR_DIRECTORY_MS = 60_000;

    @Inject
    RunContexts contexts;
    @Inject
    RunLog runLog;
    @Inject
    ActiveRuns activeRuns;

    /**
     * The route's branch beside pg_dump: once pg_dump has made its directory, every piece is
     * written into it, on the dump's jobs, each connection in the dump's snapshot.
     */
    public void write(Exchange exchange) throws Exception {
        @SuppressWarnings("unchecked")
        List<TablePieces> tables = exchange.getProperty(PROPERTY, List.class);
        if (tables == null || tables.isEmpty()) {
            return;
        }
        RunContext ctx = contexts.of(exchange);
        Path dir = ctx.stagingDir().resolve(DeliveryFiles.DUMP_PARTIAL);
        String snapshot = exchange.getProperty(SNAPSHOT, String.class);
        long waited = 0;
        // pg_dump makes its directory first thing and refuses one that exists and is not empty
        while (!Files.isDirectory(dir)) {
            if (waited > WAIT_FOR_DIRECTORY_MS) {
                throw new IOException("pg_dump has not made " + dir + " after " + WAIT_FOR_DIRECTORY_MS / 1000 + " s: no pieces written");
            }
            Thread.sleep(20);
            waited += 20;
        }
        List<TablePieces.Piece> all = new ArrayList<>();
        List<TablePieces> of = new ArrayList<>();
        for (TablePieces t : tables) {
            for (TablePieces.Piece p : t.pieces()) {
                all.add(p);
                of.add(t);
            }
        }
        JobConfig.DatabaseEndpoint src = ctx.job().source();
        int workers = Math.max(1, Math.min(ctx.options().dumpJobs(), all.size()));
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "piece-dump");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        long began = System.nanoTime();
        java.util.Set<BaseConnection> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // a cancel stops the pieces as it stops pg_dump: no piece begins, the COPYs are cancelled
        try (AutoCloseable held = activeRuns.stoppable(ctx.runId(), Half.EXPORT, () -> {
            next.set(all.size());
            pool.shutdownNow();
            PgConnections.cancelAll(open);
        })) {
            List<Future<Void>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                done.add(pool.submit(() -> {
                    try (Connection c = SnapshotReader.open(src, src.database(), snapshot)) {
                        try (Statement st = c.createStatement()) {
                            // as pg_dump: an error rather than silently fewer rows where a policy would filter them
                            st.execute("SET LOCAL row_security = off");
                        }
                        BaseConnection base = c.unwrap(BaseConnection.class);
                        open.add(base);
                        CopyManager copy = new CopyManager(base);
                        for (int i = next.getAndIncrement(); i < all.size(); i = next.getAndIncrement()) {
                            writePiece(copy, of.get(i), all.get(i), dir.resolve(all.get(i).file()));
                        }
                        open.remove(base);
                        c.rollback();
                    }
                    return null;
                }));
            }
            for (Future<Void> f : done) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : new IOException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        runLog.info(LOG, ctx.runId(), String.format("%d pieces of %d tables written in %.1f s", all.size(), tables.size(),
                (System.nanoTime() - began) / 1e9));
    }

    /** Exchange property: the snapshot's id, for the pieces' branch. */
    public static final String SNAPSHOT = "CaravanDumpSnapshot";

    private static void writePiece(CopyManager copy, TablePieces t, TablePieces.Piece p, Path file) throws SQLException, IOException {
        OpenFiles.writing(file, true);
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), 1 << 16)) {
            copy.copyOut(t.copyOut(p), out);
        } finally {
            OpenFiles.writing(file, false);
        }
    }
}

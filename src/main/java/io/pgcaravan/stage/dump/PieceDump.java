package io.pgcaravan.stage.dump;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.config.JobConfig.RestoreMode;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.pg.Catalog;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The tables that travel in pieces (dump.split-tables-larger-than): which, chosen before pg_dump
 * starts (it leaves their data out), and their pieces, each a COPY of a range of pages in the
 * dump's snapshot written into pg_dump's directory beside its files while it runs, on the dump's
 * jobs. pg_dump reads one table on one connection whatever its jobs; pieces are read at once, and
 * restored at once. A file being written counts as open ({@link OpenFiles#writing}), so the early
 * upload follows it as it grows as it does pg_dump's.
 */
@ApplicationScoped
@Named("pieceDump")
public class PieceDump {

    private static final Logger LOG = Logger.getLogger(PieceDump.class);
    /** Exchange property: the run's tables in pieces (List of TablePieces), for the pieces' branch and the manifest. */
    public static final String PROPERTY = "CaravanTablePieces";
    /** A page range is read alone (a TID range scan) from PostgreSQL 14: before, every piece would read the whole table. */
    static final int FIRST_MAJOR = 14;
    private static final long WAIT_FOR_DIRECTORY_MS = 60_000;

    private static final String CANDIDATES = """
            SELECT c.oid, n.nspname, c.relname, pg_relation_size(c.oid) AS bytes,
                   pg_relation_size(c.oid) / current_setting('block_size')::bigint AS pages
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND pg_relation_size(c.oid) > ?
               AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
             ORDER BY bytes DESC""";
    private static final String COLUMNS = """
            SELECT attname FROM pg_attribute
             WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
             ORDER BY attnum""";

    @Inject
    RunContexts contexts;
    @Inject
    RunLog runLog;

    /**
     * The job's tables above the size, in pieces of about that size, or none where pieces would
     * not be restored as they should (see the configuration's description) — said in the log.
     */
    public List<TablePieces> plan(RunContext ctx, Connection c, List<Catalog.Table> inScope) throws SQLException {
        long threshold = ctx.job().dump().splitTablesLargerThan().asLongValue();
        if (threshold <= 0 || ctx.options().dumpFormat() != DumpFormat.DIRECTORY) {
            return List.of();
        }
        Set<String> wanted = new HashSet<>();
        inScope.forEach(t -> wanted.add(t.schema() + "\u0000" + t.name()));
        List<Long> oids = new ArrayList<>();
        List<String[]> names = new ArrayList<>();
        List<long[]> sizes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CANDIDATES)) {
            ps.setLong(1, threshold);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (wanted.contains(rs.getString(2) + "\u0000" + rs.getString(3))) {
                        oids.add(rs.getLong(1));
                        names.add(new String[] {rs.getString(2), rs.getString(3)});
                        sizes.add(new long[] {rs.getLong(4), rs.getLong(5)});
                    }
                }
            }
        }
        if (oids.isEmpty()) {
            return List.of();
        }
        String why = unfit(ctx, Catalog.serverMajor(c));
        if (why != null) {
            runLog.info(LOG, ctx.runId(), oids.size() + " tables are larger than dump.split-tables-larger-than but travel whole: " + why);
            return List.of();
        }
        List<TablePieces> out = new ArrayList<>();
        for (int i = 0; i < oids.size(); i++) {
            long pages = sizes.get(i)[1];
            int n = (int) Math.min(1000, Math.max(2, (sizes.get(i)[0] + threshold - 1) / threshold));
            long per = (pages + n - 1) / n;
            List<TablePieces.Piece> pieces = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                long from = k * per;
                if (k > 0 && from >= pages) {
                    break;
                }
                pieces.add(new TablePieces.Piece(TablePieces.fileName(oids.get(i), k + 1), from, k == n - 1 ? null : (k + 1) * per));
            }
            if (pieces.get(pieces.size() - 1).toPage() != null) { // (fewer pages than pieces: the last one open)
                TablePieces.Piece last = pieces.remove(pieces.size() - 1);
                pieces.add(new TablePieces.Piece(last.file(), last.fromPage(), null));
            }
            out.add(new TablePieces(oids.get(i), names.get(i)[0], names.get(i)[1], columns(c, oids.get(i)), List.copyOf(pieces)));
        }
        runLog.info(LOG, ctx.runId(), "in pieces: " + String.join(", ", out.stream()
                .map(t -> t.display() + " (" + t.pieces().size() + ")").toList()));
        return out;
    }

    /** Why pieces would not be restored as they should here, or null. */
    private static String unfit(RunContext ctx, int major) {
        if (major < FIRST_MAJOR) {
            return "the source is PostgreSQL " + major + ", which reads a page range only by reading the whole table";
        }
        if (ctx.job().conflicts() == JobConfig.ConflictMode.IGNORE) {
            return "conflicts=ignore loads rows into tables that exist, which only pg_restore's own data does";
        }
        if (ctx.options().restoreMode() == RestoreMode.SINGLE_TRANSACTION) {
            return "restore.mode=single-transaction: pieces are loaded beside pg_restore, not in its one transaction";
        }
        return null;
    }

    private static List<String> columns(Connection c, long oid) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** pg_dump's options that leave the pieces' tables' data out (exact names as patterns). */
    public static List<String> pgDumpArgs(List<TablePieces> tables) {
        return tables.stream().map(t -> "--exclude-table-data=" + io.pgcaravan.pg.ObjectSelection.pattern(t.schema(), t.table())).toList();
    }

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
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                done.add(pool.submit(() -> {
                    try (Connection c = SnapshotReader.open(src, src.database(), snapshot)) {
                        try (Statement st = c.createStatement()) {
                            // as pg_dump: an error rather than silently fewer rows where a policy would filter them
                            st.execute("SET LOCAL row_security = off");
                        }
                        CopyManager copy = new CopyManager(c.unwrap(BaseConnection.class));
                        for (int i = next.getAndIncrement(); i < all.size(); i = next.getAndIncrement()) {
                            writePiece(copy, of.get(i), all.get(i), dir.resolve(all.get(i).file()));
                        }
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

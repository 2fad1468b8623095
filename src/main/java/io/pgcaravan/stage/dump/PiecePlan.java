package io.pgcaravan.stage.dump;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.config.JobConfig.RestoreMode;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which tables travel in pieces (dump.split-tables-larger-than) and their pieces, chosen before
 * pg_dump starts, since it must leave their data out: the job's tables above the size, in pieces
 * of about that size by page ranges, with the columns a COPY carries. None where pieces would not
 * be restored as they should ({@link #unfit}), which the log says. {@link PieceDump} writes them.
 */
@ApplicationScoped
public class PiecePlan {

    private static final Logger LOG = Logger.getLogger(PiecePlan.class);
    /** A page range is read alone (a TID range scan) from PostgreSQL 14: before, every piece would read the whole table. */
    static final int FIRST_MAJOR = 14;

    @Inject
    RunLog runLog;
    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;

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
        boolean disposable = store.find(ctx.runId()).map(RunRecord::destinationDisposable).orElse(false);
        String why = unfit(ctx, Catalog.serverMajor(c), config.role(), disposable);
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
    private static String unfit(RunContext ctx, int major, CaravanConfig.Role role, boolean disposable) throws SQLException {
        if (major < FIRST_MAJOR) {
            return "the source is PostgreSQL " + major + ", which reads a page range only by reading the whole table";
        }
        if (ctx.job().conflicts() == JobConfig.ConflictMode.IGNORE) {
            return "conflicts=ignore loads rows into tables that exist, which only pg_restore's own data does";
        }
        if (ctx.options().restoreMode() == RestoreMode.SINGLE_TRANSACTION) {
            return "restore.mode=single-transaction: pieces are loaded beside pg_restore, not in its one transaction";
        }
        if (ctx.options().restoreMode() == RestoreMode.AUTO && ctx.job().conflicts() != JobConfig.ConflictMode.REPLACE) {
            // auto restores in one transaction into a database that holds tables: only a database
            // the run creates or finds without tables takes pieces (conflicts=replace creates it anew)
            if (disposable) {
                // an earlier attempt of this run created the database or found it empty (a resumed
                // run dumping again): auto restores in parallel into it, cleaned up first
                return null;
            }
            if (role != CaravanConfig.Role.ALL) {
                return "restore.mode=auto decides at the destination, which this export agent does not see: "
                        + "restore.mode=parallel lets the import agent load pieces";
            }
            JobConfig.DatabaseEndpoint dst = ctx.job().destination();
            try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
                if (!Catalog.databaseExists(maint, dst.database())) {
                    return null;
                }
            }
            try (Connection db = PgConnections.open(dst, dst.database())) {
                if (!Catalog.tables(db).isEmpty()) {
                    return "the destination database " + dst.database() + " holds tables, so restore.mode=auto restores into it in one "
                            + "transaction, which pieces are not loaded in";
                }
            }
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
}

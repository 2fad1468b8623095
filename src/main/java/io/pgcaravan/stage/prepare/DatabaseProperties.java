package io.pgcaravan.stage.prepare;

import io.pgcaravan.config.JobConfig.DatabaseEndpoint;
import io.pgcaravan.delivery.DatabaseEntries;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.stage.ownership.PermissionHints;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.StageFailedException;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The source database's own properties on the destination database: its comment, ACL, security
 * labels, settings, connection limit and the per-role settings in it, as the dump carries them
 * ({@link DatabaseEntries}), under the destination's name, in one transaction. Given by the
 * prepare stage as soon as the database exists (and again when a failed parallel restore made it
 * anew), so that a retried restore never has to undo them; the restore's and the verification's
 * own sessions set what a database setting could get in their way with (a default of read-only
 * transactions, a statement timeout).
 */
public final class DatabaseProperties {

    /** The write freeze's setting: the dump may have caught the run's own freeze, the manifest has the source's real value. */
    private static final String FREEZE_SETTING = "default_transaction_read_only";

    private DatabaseProperties() {
    }

    /** The statements for the destination: what the dump says, the freeze setting as the manifest says. */
    public static List<String> statements(String pgRestore, RunContext ctx, SourceManifest manifest) throws IOException, InterruptedException {
        DatabaseEndpoint dst = ctx.job().destination();
        String dstIdent = PgConnections.ident(dst.database());
        List<String> out = new ArrayList<>();
        for (String s : DatabaseEntries.read(pgRestore, ctx.verifiedDir().resolve(DeliveryFiles.DUMP), ctx.workDirMade(),
                manifest.source().database(), dstIdent, ctx.privileges())) {
            if (!s.startsWith("ALTER DATABASE " + dstIdent + " SET " + FREEZE_SETTING + " ")) {
                out.add(s);
            }
        }
        List<String> settings = manifest.source().settings() == null ? List.of() : manifest.source().settings();
        settings.stream().filter(s -> s.startsWith(FREEZE_SETTING + "=")).findFirst().ifPresent(s -> out.add(
                "ALTER DATABASE " + dstIdent + " SET " + FREEZE_SETTING + " TO " + PgConnections.literal(s.substring(FREEZE_SETTING.length() + 1))));
        return out;
    }

    /** Applies them all or none; returns how many. */
    public static int apply(DatabaseEndpoint dst, List<String> statements) throws SQLException {
        if (statements.isEmpty()) {
            return 0;
        }
        try (Connection c = PgConnections.open(dst, dst.maintenanceDatabase())) {
            c.setAutoCommit(false);
            String current = null;
            try (Statement st = c.createStatement()) {
                for (String s : statements) {
                    current = s;
                    st.execute(s);
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                if (e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"))) {
                    throw e; // the server went away: a connection failure, retried as such
                }
                throw new StageFailedException("cannot give " + dst.database() + " the source database's properties: "
                        + e.getMessage().strip() + " (in: " + current + ")" + PermissionHints.hint(e, current, dst.user()));
            }
        }
        return statements.size();
    }
}

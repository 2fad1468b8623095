package io.pgcaravan.stage.dump;

import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;

import io.pgcaravan.work.RunContexts;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.track.RunHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import io.pgcaravan.track.RunLog;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Header;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The source snapshot a run's dump and manifest share: a transaction exports it
 * ({@code pg_export_snapshot()}), pg_dump takes it ({@code --snapshot}) and the manifest's counts
 * import it, so the manifest describes exactly the data in the dump even while the source takes
 * writes. The exporting transaction stays open until the manifest is written.
 */
@ApplicationScoped
@Named("snapshots")
public class Snapshots {

    private static final Logger LOG = Logger.getLogger(Snapshots.class);

    private record Held(Connection connection, String id) {
    }

    @Inject
    RunContexts contexts;
    @Inject
    RunLog runLog;

    @Inject
    ActiveRuns activeRuns;

    /** The part of the run that holds the exported snapshot's transaction open. */
    private static final String PART = "snapshot";

    public void open(@Header(RunHeaders.RUN_ID) String runId) throws SQLException {
        close(runId);
        JobConfig job = contexts.of(runId).job();
        Connection c = PgConnections.open(job.source(), job.source().database());
        try {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
                rs.next();
                Held h = new Held(c, rs.getString(1));
                activeRuns.hold(runId, Half.EXPORT, PART, h, () -> end(runId, h));
                runLog.info(LOG, runId, String.format("source snapshot %s exported for the dump and its manifest", rs.getString(1)));
            }
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    public Optional<String> id(String runId) {
        return activeRuns.find(runId).flatMap(r -> r.part(PART, Held.class)).map(Held::id);
    }

    /** Ends the exporting transaction (after the manifest; when the run fails, the export half's leaving ends it). */
    public void close(@Header(RunHeaders.RUN_ID) String runId) {
        activeRuns.find(runId).ifPresent(r -> r.release(PART));
    }

    private static void end(String runId, Held h) {
        try {
            h.connection().rollback();
            h.connection().close();
        } catch (SQLException e) {
            LOG.debugf("closing the snapshot of run %s: %s", runId, e.getMessage());
        }
    }
}

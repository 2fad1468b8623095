package io.pgcaravan.stage.dump;

import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;

import io.pgcaravan.work.RunContexts;

import io.pgcaravan.config.StartupOrder;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.store.RunStore;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import io.pgcaravan.track.RunLog;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Header;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The optional write freeze: the source database is set read-only for new sessions
 * ({@code default_transaction_read_only = on}) while it is dumped and counted, as the guides ask,
 * and put back as it was afterwards — when the run goes on, fails or is cancelled, and at the next
 * start if the application was killed in between.
 */
@ApplicationScoped
@Named("sourceFreeze")
public class SourceFreeze {

    private static final Logger LOG = Logger.getLogger(SourceFreeze.class);
    private static final String SETTING = "default_transaction_read_only";

    @Inject
    RunContexts contexts;
    @Inject
    RunLog runLog;
    @Inject
    RunStore store;
    @Inject
    ActiveRuns activeRuns;

    /** The run's part while its source is frozen. */
    private static final String PART = "write-freeze";

    public void freeze(@Header(RunHeaders.RUN_ID) String runId) throws SQLException {
        JobConfig job = contexts.of(runId).job();
        if (!job.freezeSourceWrites()) {
            return;
        }
        if (store.find(runId).orElseThrow().sourceFrozen()) {
            // frozen by an earlier attempt or a killed predecessor: this half lifts it when it leaves
            activeRuns.hold(runId, Half.EXPORT, PART, runId, () -> releaseQuietly(runId));
            return;
        }
        String db = job.source().database();
        try (Connection c = PgConnections.open(job.source(), job.source().maintenanceDatabase()); Statement st = c.createStatement()) {
            List<String> previous = Catalog.strings(c, "SELECT substring(cfg FROM '=(.*)') FROM pg_db_role_setting s "
                    + "JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) cfg "
                    + "WHERE d.datname = " + PgConnections.literal(db) + " AND s.setrole = 0 AND cfg LIKE '" + SETTING + "=%'");
            // recorded before the change: a crash right after it still knows to undo it
            store.setSourceFrozen(runId, true, previous.isEmpty() ? null : previous.get(0));
            st.execute("ALTER DATABASE " + PgConnections.ident(db) + " SET " + SETTING + " = on");
        }
        runLog.warn(LOG, runId, String.format("source database %s is read-only for new sessions until it is dumped", db));
        // if the export half leaves the run before the freeze is lifted, its leaving lifts it
        activeRuns.hold(runId, Half.EXPORT, PART, runId, () -> releaseQuietly(runId));
    }

    public void release(@Header(RunHeaders.RUN_ID) String runId) throws SQLException {
        var run = store.find(runId).orElseThrow();
        if (!run.sourceFrozen()) {
            return;
        }
        JobConfig job = contexts.of(runId).job();
        String db = job.source().database();
        try (Connection c = PgConnections.open(job.source(), job.source().maintenanceDatabase()); Statement st = c.createStatement()) {
            st.execute("ALTER DATABASE " + PgConnections.ident(db) + (run.sourceFreezePrevious() == null ? " RESET " + SETTING
                    : " SET " + SETTING + " = " + PgConnections.literal(run.sourceFreezePrevious())));
        }
        store.setSourceFrozen(runId, false, null);
        // lifted: the export half's leaving need not lift it again (until then, a failure here
        // leaves the part held, and the leaving tries once more)
        activeRuns.find(runId).ifPresent(r -> r.take(PART, String.class));
        runLog.info(LOG, runId, String.format("source database %s takes writes again", db));
    }

    /** For the error handler: a failure to lift the freeze must not hide why the run failed. */
    public void releaseQuietly(@Header(RunHeaders.RUN_ID) String runId) {
        if (activeRuns.moved(runId)) {
            // a fleet's replica that no longer holds the run leaves the freeze to the one that does
            runLog.info(LOG, runId, "the source's write freeze is left to the replica that has the run now");
            return;
        }
        try {
            release(runId);
        } catch (Exception e) {
            runLog.error(LOG, runId, String.format("could not lift the write freeze of its source: %s; it is retried when the application "
                    + "starts, or run ALTER DATABASE ... RESET default_transaction_read_only by hand", e.getMessage()));
        }
    }

    /** Freezes a killed predecessor left in place are lifted, except for runs that will go on (they lift their own). */
    void onStart(@Observes @Priority(StartupOrder.LEFTOVER_FREEZES) StartupEvent event) {
        for (var run : store.frozen()) {
            if (!run.status().isActive()) {
                releaseQuietly(run.id());
            }
        }
    }
}

package io.pgcaravan.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.RunOptions;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import jakarta.inject.Inject;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Run history in a real database (H2 file by default, PostgreSQL when configured), through JDBC.
 * Columns are mapped by name; a run's options are typed here and JSON only in their column.
 * Longer than 250 lines because it is the one place that speaks SQL about runs, their stages and
 * their attempts: every statement sits next to the others, so a change of those tables
 * (db/migration) touches one class. A fleet's leases are RunLeases', the API's jobs JobCatalog's.
 */
@ApplicationScoped
public class RunStore {

    private static final String RUN_COLUMNS = "id, job, status, trigger_kind, options, created_at, started_at, "
            + "finished_at, error, precheck, verification, destination_created, destination_was_empty, source_frozen, "
            + "source_freeze_previous, replica, database_name";

    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final ObjectMapper json;

    /** The run history's datasource: the H2 default, or the PostgreSQL one ("pgstore") when that one is active. */
    @Inject
    RunStore(@ConfigProperty(name = "quarkus.datasource.pgstore.active", defaultValue = "false") boolean pgStore,
             Instance<AgroalDataSource> h2, @io.quarkus.agroal.DataSource("pgstore") Instance<AgroalDataSource> pg,
             ObjectMapper json) {
        this.dataSource = pgStore ? pg.get() : h2.get();
        this.json = json;
    }

    /** On a datasource of its own (tests of the store, without the application). */
    public RunStore(DataSource dataSource, ObjectMapper json) {
        this.dataSource = dataSource;
        this.json = json;
    }

    /** The run history's database (the jobs created over the API live there too: JobCatalog). */
    DataSource dataSource() {
        return dataSource;
    }

    public void insert(RunRecord run, List<String> stages) {
        insert(run, stages, Placement.ANYWHERE);
    }

    /**
     * Where the halves of a run may be worked on, in a fleet: the zones of its job's source and
     * destination (null: no zone); and how many of the job's runs may be in each half at once
     * (null: no limit).
     */
    public record Placement(String exportZone, String importZone, Integer exportLimit, Integer importLimit) {
        public static final Placement ANYWHERE = new Placement(null, null, null, null);
    }

    /**
     * Records a new run with its stages, all PENDING, in one transaction.
     *
     * @throws JobBusyException when the job has an active run already (in PostgreSQL an index
     *         guarantees it, whichever replica inserts: db/postgresql)
     */
    public void insert(RunRecord run, List<String> stages, Placement placement) {
        insert(run, stages, placement, java.util.Map.of());
    }

    /**
     * As {@link #insert(RunRecord, List, Placement)}, with some stages recorded DONE at once, with
     * their detail (a delivery adopted: its export stages were done elsewhere), in the same
     * transaction: no replica of a fleet ever sees the run with those stages still to do.
     */
    public void insert(RunRecord run, List<String> stages, Placement placement, java.util.Map<String, String> done) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO caravan_run (" + RUN_COLUMNS
                    + ", export_zone, import_zone, export_limit, import_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, run.id());
                ps.setString(2, run.job());
                ps.setString(3, run.status().name());
                ps.setString(4, run.trigger());
                ps.setString(5, optionsJson(run.options()));
                ps.setObject(6, run.createdAt());
                ps.setObject(7, run.startedAt());
                ps.setObject(8, run.finishedAt());
                ps.setString(9, run.error());
                ps.setString(10, run.precheckJson());
                ps.setString(11, run.verificationJson());
                ps.setBoolean(12, run.destinationCreated());
                ps.setBoolean(13, run.destinationWasEmpty());
                ps.setBoolean(14, run.sourceFrozen());
                ps.setString(15, run.sourceFreezePrevious());
                ps.setString(16, run.replica());
                ps.setString(17, run.database());
                ps.setString(18, placement.exportZone());
                ps.setString(19, placement.importZone());
                ps.setObject(20, placement.exportLimit(), Types.INTEGER);
                ps.setObject(21, placement.importLimit(), Types.INTEGER);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO caravan_stage (run_id, seq, stage, status, finished_at, detail) VALUES (?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < stages.size(); i++) {
                    boolean isDone = done.containsKey(stages.get(i));
                    ps.setString(1, run.id());
                    ps.setInt(2, i);
                    ps.setString(3, stages.get(i));
                    ps.setString(4, (isDone ? StageStatus.DONE : StageStatus.PENDING).name());
                    ps.setObject(5, isDone ? now() : null, Types.TIMESTAMP_WITH_TIMEZONE);
                    ps.setString(6, done.get(stages.get(i)));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState()) && run.status().isActive()
                    && String.valueOf(e.getMessage()).contains("caravan_run_one_active")) {
                throw new JobBusyException(run.job(), run.database());
            }
            throw new RunStoreException("cannot record run " + run.id(), e);
        }
    }

    public Optional<RunRecord> find(String id) {
        List<RunRecord> runs = query("SELECT " + RUN_COLUMNS + " FROM caravan_run WHERE id = ?", id);
        return runs.stream().findFirst();
    }

    public List<RunRecord> list(String job, RunStatus status, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + RUN_COLUMNS + " FROM caravan_run WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (job != null) {
            sql.append(" AND job = ?");
            args.add(job);
        }
        if (status != null) {
            sql.append(" AND status = ?");
            args.add(status.name());
        }
        sql.append(" ORDER BY created_at DESC, id DESC FETCH FIRST ").append(limit).append(" ROWS ONLY");
        return query(sql.toString(), args.toArray());
    }

    public List<RunRecord> active(String job) {
        return query("SELECT " + RUN_COLUMNS + " FROM caravan_run WHERE job = ? AND status IN ('QUEUED', 'RUNNING')", job);
    }

    /** The job's active runs of this database (null: of the job's one database, in runs recorded before runs had one). */
    public List<RunRecord> active(String job, String database) {
        return query("SELECT " + RUN_COLUMNS + " FROM caravan_run WHERE job = ? AND COALESCE(database_name, '') = ? "
                + "AND status IN ('QUEUED', 'RUNNING')", job, database == null ? "" : database);
    }

    /** Which of these runs are CANCELLED (a fleet's replica looks for those it holds at every poll). */
    public List<String> cancelledAmong(java.util.Collection<String> ids) {
        List<String> out = new java.util.ArrayList<>();
        for (String id : ids) {
            // (one by one: the runs a replica holds are a handful, and H2 and PostgreSQL spell arrays differently)
            if (find(id).filter(r -> r.status() == RunStatus.CANCELLED).isPresent()) {
                out.add(id);
            }
        }
        return out;
    }

    public List<RunRecord> activeRuns() {
        return query("SELECT " + RUN_COLUMNS + " FROM caravan_run WHERE status IN ('QUEUED', 'RUNNING') ORDER BY created_at");
    }

    public List<StageRecord> stages(String runId) {
        return query("SELECT stage, status, started_at, finished_at, detail FROM caravan_stage WHERE run_id = ? ORDER BY seq",
                rs -> new StageRecord(rs.getString("stage"), StageStatus.valueOf(rs.getString("status")), time(rs, "started_at"),
                        time(rs, "finished_at"), rs.getString("detail")), runId);
    }

    /** QUEUED -> RUNNING; false if the run is no longer queued or running (cancelled meanwhile). */
    public boolean runStarted(String id) {
        return update("UPDATE caravan_run SET status = 'RUNNING', started_at = COALESCE(started_at, ?) "
                + "WHERE id = ? AND status IN ('QUEUED', 'RUNNING')", now(), id) == 1;
    }

    /** Ends an active run; a run that already ended (cancelled meanwhile) keeps its status. */
    public boolean runFinished(String id, RunStatus status, String error) {
        return runFinished(id, status, error, null);
    }

    /** As {@link #runFinished(String, RunStatus, String)}, by the holder of that claim only (see {@link Fence}). */
    public boolean runFinished(String id, RunStatus status, String error, Fence fence) {
        // (its lease goes with it: a fleet's replica that still works on it finds so at its next renewal)
        return fenced("UPDATE caravan_run SET status = ?, finished_at = ?, error = ?, lease_until = NULL WHERE id = ? AND status IN ('QUEUED', 'RUNNING')",
                fence, id, status.name(), now(), error, id) == 1;
    }

    /** An ended run (FAILED, CANCELLED) goes back to the queue, its unfinished stages to PENDING. */
    public boolean requeue(String id) {
        boolean requeued = update("UPDATE caravan_run SET status = 'QUEUED', finished_at = NULL, error = NULL "
                + "WHERE id = ? AND status IN ('FAILED', 'CANCELLED')", id) == 1;
        if (requeued) {
            update("UPDATE caravan_stage SET status = 'PENDING', started_at = NULL, finished_at = NULL "
                    + "WHERE run_id = ? AND status <> 'DONE'", id);
        }
        return requeued;
    }

    /** Any ended run back to the queue (its stages as they are). */
    public void requeueEnded(String id) {
        update("UPDATE caravan_run SET status = 'QUEUED', finished_at = NULL, error = NULL WHERE id = ?", id);
    }

    public void recordAttempt(String runId, String stage, OffsetDateTime at, String failureClass, String cause, boolean retried) {
        update("INSERT INTO caravan_attempt (run_id, seq, stage, failed_at, failure_class, cause, retried) "
                + "SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM caravan_attempt WHERE run_id = ?",
                runId, stage, at, failureClass, cause, retried, runId);
    }

    public List<AttemptRecord> attempts(String runId) {
        return query("SELECT seq, stage, failed_at, failure_class, cause, retried FROM caravan_attempt WHERE run_id = ? ORDER BY seq",
                rs -> new AttemptRecord(rs.getInt("seq"), rs.getString("stage"), time(rs, "failed_at"), rs.getString("failure_class"),
                        rs.getString("cause"), rs.getBoolean("retried")), runId);
    }

    /** A stage to be done again (the manifest of a dump taken again). */
    public void stageReset(String runId, String stage) {
        update("UPDATE caravan_stage SET status = 'PENDING', started_at = NULL, finished_at = NULL, detail = NULL "
                + "WHERE run_id = ? AND stage = ?", runId, stage);
    }

    /** A stage's state as another process reports it (the import agent, through the drop directory). */
    public void stageSet(String runId, String stage, StageStatus status, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                         String detail) {
        update("UPDATE caravan_stage SET status = ?, started_at = ?, finished_at = ?, detail = ? WHERE run_id = ? AND stage = ?",
                status.name(), startedAt, finishedAt, detail, runId, stage);
    }

    /**
     * The claim a fleet's replica writes a run's progress under, checked in the statement that
     * writes it: the run is still this replica's, under this claim, its lease not run out. A
     * replica that lost the run between its last look and the write (a pause longer than the
     * lease) writes nothing. Null: a process alone, nothing to check.
     */
    public record Fence(String replica, int epoch) {
    }

    private static final String FENCED = " AND EXISTS (SELECT 1 FROM caravan_run f WHERE f.id = ? AND f.replica = ? "
            + "AND f.lease_epoch = ? AND f.lease_until > now())";

    /** False if the fence (if any) no longer holds: nothing was written. */
    public boolean stageStarted(String runId, String stage, Fence fence) {
        return fenced("UPDATE caravan_stage SET status = 'RUNNING', started_at = ?, finished_at = NULL, detail = NULL "
                + "WHERE run_id = ? AND stage = ?", fence, runId, now(), runId, stage) == 1;
    }

    public void stageFinished(String runId, String stage, StageStatus status, String detail) {
        stageFinished(runId, stage, status, detail, null);
    }

    /** False if the fence (if any) no longer holds: nothing was written. */
    public boolean stageFinished(String runId, String stage, StageStatus status, String detail, Fence fence) {
        return fenced("UPDATE caravan_stage SET status = ?, finished_at = ?, detail = ? WHERE run_id = ? AND stage = ?",
                fence, runId, status.name(), now(), detail, runId, stage) == 1;
    }

    private int fenced(String sql, Fence fence, String runId, Object... args) {
        if (fence == null) {
            return update(sql, args);
        }
        Object[] all = java.util.Arrays.copyOf(args, args.length + 3);
        all[args.length] = runId;
        all[args.length + 1] = fence.replica();
        all[args.length + 2] = fence.epoch();
        return update(sql + FENCED, all);
    }

    public void setPrecheck(String runId, String json) {
        update("UPDATE caravan_run SET precheck = ? WHERE id = ?", json, runId);
    }

    public void setVerification(String runId, String json) {
        update("UPDATE caravan_run SET verification = ? WHERE id = ?", json, runId);
    }

    public void setDestinationCreated(String runId) {
        update("UPDATE caravan_run SET destination_created = TRUE WHERE id = ?", runId);
    }

    public void setSourceFrozen(String runId, boolean frozen, String previous) {
        update("UPDATE caravan_run SET source_frozen = ?, source_freeze_previous = ? WHERE id = ?", frozen, previous, runId);
    }

    public List<RunRecord> frozen() {
        return query("SELECT " + RUN_COLUMNS + " FROM caravan_run WHERE source_frozen = TRUE");
    }

    public void setDestinationWasEmpty(String runId) {
        update("UPDATE caravan_run SET destination_was_empty = TRUE WHERE id = ?", runId);
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }

    private int update(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new RunStoreException("cannot update run history", e);
        }
    }

    private List<RunRecord> query(String sql, Object... args) {
        return query(sql, rs -> new RunRecord(rs.getString("id"), rs.getString("job"), RunStatus.valueOf(rs.getString("status")),
                rs.getString("trigger_kind"), options(rs.getString("id"), rs.getString("options")), time(rs, "created_at"), time(rs, "started_at"),
                time(rs, "finished_at"), rs.getString("error"), rs.getString("precheck"), rs.getString("verification"),
                rs.getBoolean("destination_created"), rs.getBoolean("destination_was_empty"), rs.getBoolean("source_frozen"),
                rs.getString("source_freeze_previous"), rs.getString("replica"), rs.getString("database_name")), args);
    }

    /** The run's options as their column holds them. */
    private String optionsJson(RunOptions options) {
        try {
            return json.writeValueAsString(options);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the options of a run", e);
        }
    }

    private RunOptions options(String runId, String column) {
        try {
            return json.readValue(column, RunOptions.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("run " + runId + " has unreadable options", e);
        }
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, Row<T> row, Object... args) {
        List<T> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row.read(rs));
                }
            }
        } catch (SQLException e) {
            throw new RunStoreException("cannot read run history", e);
        }
        return out;
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            if (args[i] == null) {
                ps.setNull(i + 1, Types.NULL);
            } else {
                ps.setObject(i + 1, args[i]);
            }
        }
    }

    private static OffsetDateTime time(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class);
    }

    /** The job has an active run already: another replica queued one at the same moment. */
    public static class JobBusyException extends RuntimeException {
        JobBusyException(String job, String database) {
            super("job '" + job + "' already has an active run" + (database == null ? "" : " of database " + database));
        }
    }

    /** The run history could not be read or written. */
    public static class RunStoreException extends RuntimeException {
        RunStoreException(String message, SQLException cause) {
            super(message + ": " + cause.getMessage(), cause);
        }
    }
}

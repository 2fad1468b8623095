package io.pgcaravan.store;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The claims of a fleet's replicas on runs, in the shared run history (PostgreSQL only): a run is
 * worked on by the replica whose lease on it has not run out. Every time is the database's
 * ({@code now()}), so the replicas' clocks need not agree.
 */
@ApplicationScoped
public class RunLeases {

    /** The export stages: a run with one of them not done has its export half to do. */
    private static final String EXPORT_LEFT = exportLeft("r");

    /**
     * How many of the job's runs some replica works on in the half (held: a lease not run out), for
     * the limits of {@code source.max-concurrent-runs} and {@code destination.max-concurrent-runs}.
     */
    private static final String HELD_IN_EXPORT = "(SELECT count(*) FROM caravan_run o WHERE o.job = r.job AND o.status IN ('QUEUED', 'RUNNING') "
            + "AND o.lease_until > now() AND " + exportLeft("o") + ")";
    private static final String HELD_IN_IMPORT = "(SELECT count(*) FROM caravan_run o WHERE o.job = r.job AND o.status IN ('QUEUED', 'RUNNING') "
            + "AND o.lease_until > now() AND NOT " + exportLeft("o") + ")";

    /**
     * Claims are taken one at a time, fleet-wide (a transaction-scoped advisory lock): two replicas
     * counting a job's runs at the same moment would each see room for one more. A claim is one
     * short statement, so the replicas wait for each other for milliseconds.
     */
    private static final long CLAIM_LOCK = 0x63617261_76616eL; // "caravan"

    private static String exportLeft(String run) {
        return "EXISTS (SELECT 1 FROM caravan_stage s WHERE s.run_id = " + run + ".id AND s.stage IN ("
                + String.join(", ", Stages.EXPORT.stream().map(st -> "'" + st + "'").toList()) + ") AND s.status <> 'DONE')";
    }

    /** No statement on the leases waits longer than this for the control database (a renewal must not hang). */
    private static final int TIMEOUT_S = 5;

    private final java.util.function.Supplier<javax.sql.DataSource> dataSource;

    @Inject
    RunLeases(@io.quarkus.agroal.DataSource("pgstore") Instance<AgroalDataSource> dataSource) {
        // looked up when first used: without a fleet the "pgstore" datasource may be inactive
        this.dataSource = dataSource::get;
    }

    /** On a datasource of its own (tests of the claims, without the application). */
    public RunLeases(javax.sql.DataSource dataSource) {
        this.dataSource = () -> dataSource;
    }

    /** A run a replica has just claimed, and who held it before if its lease ran out (a takeover). */
    public record Claim(String runId, String job, String previousReplica, OffsetDateTime previousLeaseUntil, int epoch) {
        public boolean takeover() {
            return previousLeaseUntil != null;
        }
    }

    /**
     * Claims the oldest active run that nobody holds (or whose holder's lease ran out) and that has
     * a half this replica may work on: the export half where {@code exports} and the run's export
     * zone is {@code zone}, the import half (its export half done) where {@code imports} and its
     * import zone is, leaving out the runs in {@code except}. Rows another replica is claiming at the
     * same moment are skipped, not waited for.
     */
    public Optional<Claim> claim(String replica, String zone, Duration lease, boolean exports, boolean imports, Collection<String> except) {
        if (!exports && !imports) {
            return Optional.empty();
        }
        String sql = "WITH c AS (SELECT r.id, r.replica AS was, r.lease_until AS was_until FROM caravan_run r "
                + "WHERE r.status IN ('QUEUED', 'RUNNING') AND (r.lease_until IS NULL OR r.lease_until < now()) AND NOT (r.id = ANY (?)) "
                + "AND ((? AND " + EXPORT_LEFT + " AND r.export_zone IS NOT DISTINCT FROM ? "
                + "AND (r.export_limit IS NULL OR " + HELD_IN_EXPORT + " < r.export_limit)) "
                + "OR (? AND NOT " + EXPORT_LEFT + " AND r.import_zone IS NOT DISTINCT FROM ? "
                + "AND (r.import_limit IS NULL OR " + HELD_IN_IMPORT + " < r.import_limit))) "
                + "ORDER BY r.created_at, r.id LIMIT 1 FOR UPDATE OF r SKIP LOCKED) "
                + "UPDATE caravan_run r SET replica = ?, lease_until = now() + make_interval(secs => ?), lease_epoch = r.lease_epoch + 1 "
                + "FROM c WHERE r.id = c.id RETURNING r.id, r.job, c.was, c.was_until, r.lease_epoch";
        try (Connection c = dataSource.get().getConnection()) {
            c.setAutoCommit(false);
            try {
                Optional<Claim> claim = claim(c, sql, replica, zone, lease, exports, imports, except);
                c.commit();
                return claim;
            } catch (SQLException | RuntimeException e) {
                // (rolled back, not committed by the autocommit below: a claim nobody here knows of would hold the run for a lease)
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot claim a run", e);
        }
    }

    private static Optional<Claim> claim(Connection c, String sql, String replica, String zone, Duration lease, boolean exports,
                                         boolean imports, Collection<String> except) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setQueryTimeout(TIMEOUT_S);
            lock.setLong(1, CLAIM_LOCK);
            lock.execute();
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setQueryTimeout(TIMEOUT_S);
            ps.setArray(1, c.createArrayOf("varchar", except.toArray()));
            ps.setBoolean(2, exports);
            ps.setString(3, zone);
            ps.setBoolean(4, imports);
            ps.setString(5, zone);
            ps.setString(6, replica);
            ps.setDouble(7, lease.toMillis() / 1000.0);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Claim(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getObject(4, OffsetDateTime.class), rs.getInt(5)));
            }
        }
    }

    /**
     * Renews the replica's leases on these runs; what it returns are the ones it still holds. A run
     * missing from it is no longer this replica's: it ended (a cancel on another replica) or was
     * taken over after the lease ran out.
     */
    public Set<String> renew(String replica, Collection<String> runIds, Duration lease) {
        if (runIds.isEmpty()) {
            return Set.of();
        }
        try (Connection c = dataSource.get().getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE caravan_run SET lease_until = now() + make_interval(secs => ?) "
                        + "WHERE replica = ? AND id = ANY (?) AND lease_until > now() AND status IN ('QUEUED', 'RUNNING') RETURNING id")) {
            ps.setQueryTimeout(TIMEOUT_S);
            Array ids = c.createArrayOf("varchar", runIds.toArray());
            ps.setDouble(1, lease.toMillis() / 1000.0);
            ps.setString(2, replica);
            ps.setArray(3, ids);
            Set<String> held = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.add(rs.getString(1));
                }
            }
            return held;
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot renew the leases of " + runIds.size() + " runs", e);
        }
    }

    /** The replica lets go of the run under that claim (its half is done, or the run ended): any replica may claim what is left of it. */
    public void release(String replica, String runId, int epoch) {
        try (Connection c = dataSource.get().getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE caravan_run SET lease_until = NULL WHERE id = ? AND replica = ? AND lease_epoch = ?")) {
            ps.setQueryTimeout(TIMEOUT_S);
            ps.setString(1, runId);
            ps.setString(2, replica);
            ps.setInt(3, epoch);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot update a lease", e);
        }
    }

    /** Whether the replica still holds the run under that claim: its lease has not run out and nobody took the run over. */
    public boolean holds(String replica, String runId, int epoch) {
        try (Connection c = dataSource.get().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM caravan_run WHERE id = ? AND replica = ? AND lease_until > now() AND lease_epoch = ?")) {
            ps.setQueryTimeout(TIMEOUT_S);
            ps.setString(1, runId);
            ps.setString(2, replica);
            ps.setInt(3, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot read the lease of run " + runId, e);
        }
    }

}

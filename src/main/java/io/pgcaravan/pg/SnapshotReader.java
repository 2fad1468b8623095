package io.pgcaravan.pg;

import io.pgcaravan.config.JobConfig.DatabaseEndpoint;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads every table of a list on several connections at once, each in a read-only REPEATABLE READ
 * transaction that imports the same exported snapshot when one is given: all of them see the
 * database exactly as pg_dump does, however many connections share the work.
 */
public final class SnapshotReader {

    /** What is read from one table on one of the connections. */
    public interface TableQuery<T> {
        T read(Connection c, Catalog.Table table) throws SQLException;
    }

    private SnapshotReader() {
    }

    public static <T> List<T> map(DatabaseEndpoint endpoint, String database, String snapshot, int jobs,
                                  List<Catalog.Table> tables, TableQuery<T> query) throws SQLException {
        int workers = Math.max(1, Math.min(jobs, tables.size()));
        List<T> results = new ArrayList<>(tables.size());
        for (int i = 0; i < tables.size(); i++) {
            results.add(null);
        }
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "snapshot-reader");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                done.add(pool.submit(() -> {
                    try (Connection c = open(endpoint, database, snapshot)) {
                        for (int i = next.getAndIncrement(); i < tables.size(); i = next.getAndIncrement()) {
                            T result = query.read(c, tables.get(i));
                            synchronized (results) {
                                results.set(i, result);
                            }
                        }
                        c.rollback();
                    }
                    return null;
                }));
            }
            for (Future<Void> f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while reading tables", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            throw new SQLException(e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return results;
    }

    /** A connection in a read-only REPEATABLE READ transaction, in the given snapshot if there is one. */
    public static Connection open(DatabaseEndpoint endpoint, String database, String snapshot) throws SQLException {
        Connection c = PgConnections.open(endpoint, database);
        try {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try (Statement st = c.createStatement()) {
                if (snapshot != null) {
                    // must be the transaction's first statement
                    st.execute("SET TRANSACTION SNAPSHOT " + PgConnections.literal(snapshot));
                }
                // the same text for the same values on both sides, for the content checksums; names
                // (regclass values, function arguments) qualified whatever the database's search_path;
                // no statement timeout the database may set stops a long count
                st.execute("SET LOCAL search_path = pg_catalog; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; "
                        + "SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL timezone = 'UTC'; SET LOCAL intervalstyle = 'postgres';"
                        + "SET LOCAL extra_float_digits = 3; SET LOCAL bytea_output = 'hex'; SET LOCAL lc_monetary = 'C'");
            }
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }
}

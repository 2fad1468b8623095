package io.pgcaravan.stage;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.run.RunContext;
import io.pgcaravan.run.RunStore;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageFailedException;
import io.pgcaravan.run.StageTracker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The verify stage: every table of the manifest counted on the destination the same way
 * (FROM ONLY) and compared. Any difference fails the run with the table-by-table diff.
 */
@ApplicationScoped
@Named("verifier")
public class Verifier {

    @Inject
    Runs runs;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;

    public void verify(Exchange exchange) throws Exception {
        RunContext ctx = runs.context(exchange);
        Manifest manifest = json.readValue(ctx.deliveryDir().resolve(RunContext.MANIFEST).toFile(), Manifest.class);
        List<TableCheck> checks = new ArrayList<>();
        try (Connection c = PgConnections.open(ctx.job().destination(), ctx.job().destination().database())) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            c.setAutoCommit(false);
            Map<String, Catalog.Table> onDestination = new HashMap<>();
            for (Catalog.Table t : Catalog.tables(c)) {
                onDestination.put(t.display(), t);
            }
            for (Manifest.TableRows expected : manifest.tables()) {
                Catalog.Table t = onDestination.get(expected.display());
                Long found = t == null ? null : Catalog.countOnly(c, t);
                checks.add(new TableCheck(expected.schema(), expected.table(), expected.kind(), expected.rows(), found,
                        found != null && found == expected.rows()));
            }
            c.commit();
        }
        store.setVerification(ctx.runId(), runs.toJson(checks));
        List<String> diff = checks.stream().filter(t -> !t.match())
                .map(t -> t.schema() + "." + t.table() + ": expected " + t.sourceRows() + " rows, found "
                        + (t.destinationRows() == null ? "no table" : t.destinationRows()))
                .toList();
        if (!diff.isEmpty()) {
            throw StageFailedException.verdict("verification failed for " + diff.size() + " of " + checks.size()
                    + " tables: " + String.join("; ", diff));
        }
        long rows = checks.stream().mapToLong(TableCheck::sourceRows).sum();
        exchange.setProperty(StageTracker.DETAIL, checks.size() + " tables, " + rows + " rows match");
    }
}

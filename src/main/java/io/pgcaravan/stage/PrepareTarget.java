package io.pgcaravan.stage;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.JobConfig.DatabaseEndpoint;
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
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The prepare stage: the destination database, created as the guides do (from template0 with the
 * source's encoding, collation and ctype) unless it exists; an existing one must not hold any of
 * the tables about to be restored.
 */
@ApplicationScoped
@Named("prepareTarget")
public class PrepareTarget {

    @Inject
    Runs runs;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;

    public void prepare(Exchange exchange) throws Exception {
        RunContext ctx = runs.context(exchange);
        Manifest manifest = json.readValue(ctx.deliveryDir().resolve(RunContext.MANIFEST).toFile(), Manifest.class);
        DatabaseEndpoint dst = ctx.job().destination();
        boolean exists;
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            exists = Catalog.databaseExists(maint, dst.database());
            if (!exists) {
                create(maint, dst.database(), manifest.source());
                store.setDestinationCreated(ctx.runId());
                exchange.setProperty(StageTracker.DETAIL, "created database " + dst.database() + " ("
                        + manifest.source().encoding() + ", collate " + manifest.source().collate() + ")");
                return;
            }
        }
        try (Connection c = PgConnections.open(dst, dst.database())) {
            List<String> existing = Catalog.tables(c).stream().map(Catalog.Table::display).toList();
            List<String> clashing = manifest.tables().stream().map(Manifest.TableRows::display).filter(existing::contains).toList();
            if (!clashing.isEmpty()) {
                throw new StageFailedException("destination database " + dst.database() + " already holds "
                        + clashing.size() + " of the tables to restore (" + String.join(", ", clashing.stream().limit(5).toList())
                        + (clashing.size() > 5 ? ", ..." : "") + "); refusing to restore over them");
            }
        }
        exchange.setProperty(StageTracker.DETAIL, "using existing database " + dst.database());
    }

    private static void create(Connection maint, String database, Manifest.Source source) throws SQLException {
        String sql = "CREATE DATABASE " + PgConnections.ident(database) + " TEMPLATE template0 ENCODING "
                + PgConnections.literal(source.encoding()) + " LC_COLLATE " + PgConnections.literal(source.collate())
                + " LC_CTYPE " + PgConnections.literal(source.ctype());
        try (Statement st = maint.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new StageFailedException("cannot create destination database " + database + " with encoding "
                    + source.encoding() + ", collate " + source.collate() + ", ctype " + source.ctype() + ": " + e.getMessage());
        }
    }
}

package io.pgcaravan.stage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.run.RunContext;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageTracker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest stage: exact row counts of every source table, counted FROM ONLY per ordinary
 * table, leaf partition and inheritance member, so a parent's count never includes its children.
 */
@ApplicationScoped
@Named("manifestWriter")
public class ManifestWriter {

    @Inject
    Runs runs;
    @Inject
    ObjectMapper json;

    public void write(Exchange exchange) throws Exception {
        RunContext ctx = runs.context(exchange);
        Manifest manifest;
        try (Connection c = PgConnections.open(ctx.job().source(), ctx.job().source().database())) {
            // one snapshot for all counts, read only
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            c.setAutoCommit(false);
            Catalog.DatabaseSettings settings = Catalog.databaseSettings(c);
            Manifest.Source source = new Manifest.Source(Catalog.serverVersion(c), Catalog.serverMajor(c),
                    ctx.job().source().database(), settings.encoding(), settings.collate(), settings.ctype(),
                    settings.owner(), settings.settings());
            List<Manifest.TableRows> tables = new ArrayList<>();
            for (Catalog.Table t : ObjectSelection.of(ctx.job().select()).tables(Catalog.tables(c))) {
                tables.add(new Manifest.TableRows(t.schema(), t.name(), t.kind(), Catalog.countOnly(c, t)));
            }
            c.commit();
            manifest = new Manifest(Manifest.FORMAT_VERSION, ctx.runId(), ctx.jobName(),
                    OffsetDateTime.now(ZoneOffset.UTC), source, ctx.options().dumpFormat().name().toLowerCase(), ctx.options(), tables);
        }
        // a new manifest needs a new checksum list and DONE marker
        Files.deleteIfExists(ctx.stagingDir().resolve(RunContext.CHECKSUMS));
        Files.deleteIfExists(ctx.stagingDir().resolve(RunContext.DONE));
        Path file = ctx.stagingDir().resolve(RunContext.MANIFEST);
        Path tmp = ctx.stagingDir().resolve(RunContext.MANIFEST + ".partial");
        json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), manifest);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        long rows = manifest.tables().stream().mapToLong(Manifest.TableRows::rows).sum();
        exchange.setProperty(StageTracker.DETAIL, manifest.tables().size() + " tables, " + rows + " rows");
    }
}

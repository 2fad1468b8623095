package io.pgcaravan.stage;

import io.pgcaravan.pg.NeededRoles;
import io.pgcaravan.pg.SuperuserOnly;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.stage.dump.Snapshots;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.Inventory;
import io.pgcaravan.pg.SnapshotReader;
import io.pgcaravan.pg.SourceInspection;
import io.pgcaravan.pg.TableContent;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.track.Progress;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
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
 * The manifest stage: exact row counts of every source table in the dump's snapshot, counted FROM
 * ONLY per ordinary table, leaf partition and inheritance member (a parent's count never includes
 * its children), with the object inventory and, in checksum mode, content checksums.
 */
@ApplicationScoped
@Named("manifest")
public class Manifest {

    @Inject
    RunContexts contexts;
    @Inject
    ObjectMapper json;
    @Inject
    RunStore store;
    @Inject
    Snapshots snapshots;
    @Inject
    Progress progress;

    /**
     * The database's settings as they are without this run's write freeze: the destination must
     * not be created read-only because the source was frozen while it was read.
     */
    static List<String> unfrozen(List<String> settings, RunRecord run) {
        if (!run.sourceFrozen()) {
            return settings;
        }
        List<String> out = new ArrayList<>(settings.stream().filter(s -> !s.startsWith("default_transaction_read_only=")).toList());
        if (run.sourceFreezePrevious() != null) {
            out.add("default_transaction_read_only=" + run.sourceFreezePrevious());
        }
        return out;
    }

    public void write(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        String snapshot = snapshots.id(ctx.runId()).orElseThrow(() -> new IllegalStateException(
                "run " + ctx.runId() + " has no source snapshot: the manifest is only written right after the dump"));
        JobConfig.DatabaseEndpoint src = ctx.job().source();
        ObjectSelection selection = ObjectSelection.of(ctx.job().select());
        boolean checksums = ctx.job().verify().mode() == JobConfig.VerifyMode.CHECKSUM;
        SourceManifest manifest;
        try (Connection c = SnapshotReader.open(src, src.database(), snapshot)) {
            Catalog.DatabaseSettings settings = Catalog.databaseSettings(c);
            SourceManifest.Source source = new SourceManifest.Source(Catalog.serverVersion(c), Catalog.serverMajor(c),
                    src.database(), settings.encoding(), settings.collate(), settings.ctype(),
                    settings.owner(), unfrozen(settings.settings(), store.find(ctx.runId()).orElseThrow()),
                    Catalog.strings(c, "SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1"),
                    Catalog.strings(c, "SELECT rolname FROM pg_roles WHERE oid = 10").get(0), List.copyOf(NeededRoles.acting(c)),
                    SuperuserOnly.of(c));
            List<Catalog.Table> inScope = selection.tables(Catalog.tables(c));
            // counted on several connections, every one in the dump's snapshot
            Progress.Counter counter = progress.start(ctx.runId(), "manifest", inScope.size(), "tables");
            List<TableContent.Counted> counted = SnapshotReader.map(src, src.database(), snapshot, ctx.job().verify().jobs(),
                    inScope, (conn, t) -> counter.stepped(TableContent.read(conn, t, checksums)));
            List<SourceManifest.TableRows> tables = new ArrayList<>();
            for (int i = 0; i < inScope.size(); i++) {
                Catalog.Table t = inScope.get(i);
                tables.add(new SourceManifest.TableRows(t.schema(), t.name(), t.kind(), counted.get(i).rows(), counted.get(i).checksum()));
            }
            manifest = new SourceManifest(SourceManifest.FORMAT_VERSION, ctx.runId(), ctx.jobName(), OffsetDateTime.now(ZoneOffset.UTC),
                    source, ctx.options().dumpFormat().name().toLowerCase(), ctx.options(), snapshot, tables,
                    Inventory.read(c, selection), selection.dumpsLargeObjects() ? SourceInspection.largeObjects(c) : 0,
                    SourceInspection.extensions(c), SourceInspection.extensionVersions(c),
                    List.copyOf(exchange.getProperty(io.pgcaravan.stage.dump.PieceDump.PROPERTY, List.of(), List.class)));
        }
        // a new manifest needs a new checksum list and DONE marker
        Files.deleteIfExists(ctx.stagingDir().resolve(DeliveryFiles.CHECKSUMS));
        Files.deleteIfExists(ctx.stagingDir().resolve(DeliveryFiles.DONE));
        Path file = ctx.stagingDir().resolve(DeliveryFiles.MANIFEST);
        Path tmp = ctx.stagingDir().resolve(DeliveryFiles.MANIFEST + ".partial");
        json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), manifest);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        long rows = manifest.tables().stream().mapToLong(SourceManifest.TableRows::rows).sum();
        exchange.setProperty(StageDetail.PROPERTY, manifest.tables().size() + " tables, " + rows + " rows, "
                + manifest.objects().size() + " objects, in snapshot " + snapshot);
    }
}

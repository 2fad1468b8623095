package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.delivery.DumpSequences;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.stage.ownership.Memberships;
import io.pgcaravan.stage.verify.TableCheck;
import io.pgcaravan.stage.verify.Verification;
import io.pgcaravan.stage.verify.SchemaAndRoles;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.Inventory;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.pg.SnapshotReader;
import io.pgcaravan.pg.SourceInspection;
import io.pgcaravan.pg.TableContent;
import io.pgcaravan.track.Progress;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.work.StageFailedException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The verify stage: the destination against the manifest and the dump. Every table's rows counted
 * the same way (FROM ONLY, on verify.jobs connections at once), content checksums in checksum
 * mode, the object inventory per schema and kind, every sequence against the value the dump set,
 * the number of large objects, the extensions' versions, and the whole schema object by object
 * (definitions, owners, privileges, comments, the database's own properties). Any difference
 * fails the run with the list of differences.
 */
@ApplicationScoped
@Named("verify")
public class Verify {

    @Inject
    RunContexts contexts;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;
    @Inject
    PgTools tools;
    @Inject
    Progress progress;
    @Inject
    SchemaAndRoles schemaAndRoles;

    /**
     * The verification, as the destination's login: with the memberships it needs to read what
     * the migrated roles own (granted again if an earlier stage's were revoked), which are revoked
     * once it has done, whatever it found (Memberships).
     */
    public void verify(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        JobConfig.DatabaseEndpoint dst = ctx.job().destination();
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            Memberships.ensureRecorded(maint, ctx.workDirMade());
        }
        List<String> released;
        try {
            compare(exchange, ctx);
        } finally {
            try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
                released = Memberships.release(maint, ctx.workDirMade());
            }
        }
        if (!released.isEmpty()) {
            exchange.setProperty(StageDetail.PROPERTY, exchange.getProperty(StageDetail.PROPERTY, String.class)
                    + "; the memberships the run gave its login are revoked again (" + String.join(", ", released) + ")");
        }
    }

    private void compare(Exchange exchange, RunContext ctx) throws Exception {
        SourceManifest manifest = json.readValue(io.pgcaravan.delivery.DeliveryTree.read(ctx.verifiedDir().resolve(DeliveryFiles.MANIFEST),
                DeliveryFiles.MAX_MANIFEST), SourceManifest.class);
        JobConfig.DatabaseEndpoint dst = ctx.job().destination();
        boolean checksums = manifest.tables().stream().anyMatch(t -> t.checksum() != null);
        ObjectSelection selection = ObjectSelection.of(ctx.job().select());

        List<TableCheck> tables;
        List<Verification.ObjectCheck> objects;
        List<Verification.SequenceCheck> sequences;
        Verification.LargeObjectCheck largeObjects;
        Verification.SchemaCheck schema;
        int destinationMajor;
        List<Verification.ExtensionCheck> extensions;
        try (Connection c = SnapshotReader.open(dst, dst.database(), null)) {
            Map<String, Catalog.Table> onDestination = new HashMap<>();
            for (Catalog.Table t : Catalog.tables(c)) {
                onDestination.put(t.display(), t);
            }
            List<Catalog.Table> present = manifest.tables().stream().map(m -> onDestination.get(m.display()))
                    .filter(Objects::nonNull).toList();
            Progress.Counter counter = progress.start(ctx.runId(), "verify", present.size(), "tables");
            List<TableContent.Counted> counted = SnapshotReader.map(dst, dst.database(), null, ctx.job().verify().jobs(),
                    present, (conn, t) -> counter.stepped(TableContent.read(conn, t, checksums)));
            Map<String, TableContent.Counted> found = new HashMap<>();
            for (int i = 0; i < present.size(); i++) {
                found.put(present.get(i).display(), counted.get(i));
            }
            tables = manifest.tables().stream().map(m -> tableCheck(m, found.get(m.display()))).toList();
            objects = objects(manifest.objects(), Inventory.read(c, selection));
            sequences = sequences(c, DumpSequences.read(tools.path("pg_restore"), ctx.verifiedDir().resolve(DeliveryFiles.DUMP),
                    ctx.workDirMade()));
            long lo = SourceInspection.largeObjects(c);
            largeObjects = new Verification.LargeObjectCheck(manifest.largeObjects(), lo, lo == manifest.largeObjects());
            extensions = extensions(manifest, SourceInspection.extensionVersions(c));
            destinationMajor = Catalog.serverMajor(c);
            schema = schemaAndRoles.schema(ctx, manifest, selection.isEverything() ? List.of()
                    : selection.pgDumpArgs(Catalog.schemas(c), Catalog.relations(c)), destinationMajor);
        }
        Verification verification = new Verification(tables, objects, sequences, largeObjects, schema, extensions, schemaAndRoles.roles(ctx, destinationMajor));
        store.setVerification(ctx.runId(), contexts.toJson(verification));
        List<String> differences = verification.differences();
        if (!differences.isEmpty()) {
            throw StageFailedException.verdict("verification found " + differences.size() + " differences: "
                    + String.join("; ", differences));
        }
        long rows = tables.stream().mapToLong(TableCheck::sourceRows).sum();
        exchange.setProperty(StageDetail.PROPERTY, tables.size() + " tables (" + rows + " rows), "
                + objects.stream().mapToInt(Verification.ObjectCheck::expected).sum() + " objects, "
                + sequences.size() + " sequences match" + (checksums ? ", content checksums too" : "")
                + (schema.allowed().stream().anyMatch(a -> a.what().equals("the schema and the roles"))
                ? "; the schema and the roles not compared (verify.schema=if-readable: the client tools cannot read the destination)"
                : "; the schema matches (" + schema.compared() + " entries)"));
    }

    /** Each extension the source had, at the version it had (a manifest from before versions were kept has none to compare). */
    static List<Verification.ExtensionCheck> extensions(SourceManifest manifest, Map<String, String> found) {
        if (manifest.extensionVersions() == null) {
            return List.of();
        }
        return manifest.extensionVersions().entrySet().stream().map(e -> new Verification.ExtensionCheck(e.getKey(), e.getValue(),
                found.get(e.getKey()), e.getValue().equals(found.get(e.getKey())))).toList();
    }

    private static TableCheck tableCheck(SourceManifest.TableRows expected, TableContent.Counted found) {
        if (found == null) {
            return new TableCheck(expected.schema(), expected.table(), expected.kind(), expected.rows(), null,
                    expected.checksum(), null, false);
        }
        boolean match = found.rows() == expected.rows() && Objects.equals(found.checksum(), expected.checksum());
        return new TableCheck(expected.schema(), expected.table(), expected.kind(), expected.rows(), found.rows(),
                expected.checksum(), found.checksum(), match);
    }

    /**
     * Per schema and kind: what the source had against what the destination has. Missing objects
     * fail; extra ones (an existing database may hold more) are listed but do not.
     */
    static List<Verification.ObjectCheck> objects(List<Inventory.DbObject> expected, List<Inventory.DbObject> found) {
        Map<String, List<String>[]> byGroup = new TreeMap<>();
        for (Inventory.DbObject o : expected) {
            group(byGroup, o)[0].add(o.name());
        }
        for (Inventory.DbObject o : found) {
            group(byGroup, o)[1].add(o.name());
        }
        List<Verification.ObjectCheck> out = new ArrayList<>();
        for (Map.Entry<String, List<String>[]> e : byGroup.entrySet()) {
            List<String> exp = e.getValue()[0];
            List<String> fnd = e.getValue()[1];
            List<String> missing = exp.stream().filter(n -> !fnd.contains(n)).toList();
            List<String> extra = fnd.stream().filter(n -> !exp.contains(n)).toList();
            String[] key = e.getKey().split("\u0000", 2);
            out.add(new Verification.ObjectCheck(key[0], key[1], exp.size(), fnd.size(), missing, extra, missing.isEmpty()));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<String>[] group(Map<String, List<String>[]> byGroup, Inventory.DbObject o) {
        return byGroup.computeIfAbsent(o.schema() + "\u0000" + o.kind(), k -> new List[]{new ArrayList<>(), new ArrayList<>()});
    }

    private static List<Verification.SequenceCheck> sequences(Connection c, List<DumpSequences.Value> expected) throws SQLException {
        List<Verification.SequenceCheck> out = new ArrayList<>();
        for (DumpSequences.Value v : expected) {
            Map<String, Object> state = sequenceState(c, v.name());
            Long last = (Long) state.get("last");
            Boolean called = (Boolean) state.get("called");
            String shown = (String) state.getOrDefault("shown", v.name());
            out.add(new Verification.SequenceCheck(shown, v.lastValue(), v.isCalled(), last, called,
                    last != null && last == v.lastValue() && called == v.isCalled()));
        }
        return out;
    }

    /** The destination's state of a sequence named as the dump names it (resolved by regclass, never pasted into SQL). */
    private static Map<String, Object> sequenceState(Connection c, String name) throws SQLException {
        Map<String, Object> state = new LinkedHashMap<>();
        String schema;
        String relname;
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                + "ON n.oid = c.relnamespace WHERE c.oid = to_regclass(?) AND c.relkind = 'S'")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return state;
                }
                schema = rs.getString(1);
                relname = rs.getString(2);
            }
        }
        state.put("shown", schema + "." + relname);
        try (PreparedStatement ps = c.prepareStatement("SELECT last_value, is_called FROM " + PgConnections.qualified(schema, relname));
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            state.put("last", rs.getLong(1));
            state.put("called", rs.getBoolean(2));
        }
        return state;
    }
}

package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.DeliveryTree;
import io.pgcaravan.delivery.RoleMap;
import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.stage.ownership.Memberships;
import io.pgcaravan.stage.prepare.RoleMigration;
import io.pgcaravan.stage.prepare.DatabaseProperties;
import io.pgcaravan.stage.pipeline.PipelineJournal;
import io.pgcaravan.pg.PgTools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DatabaseEndpoint;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.work.StageFailedException;
import jakarta.enterprise.context.ApplicationScoped;
import io.pgcaravan.track.RunLog;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The prepare stage: the destination database, created as the guides do (from template0 with the
 * source's encoding, collation and ctype) unless it exists; an existing one must not hold any of
 * the tables about to be restored. Also cleans up after a failed parallel restore before it is
 * retried, but only in a database this run may throw away.
 * <p>
 * Longer than 250 lines because the stage, its early run for the pipelined restore and the
 * clean-up before a parallel restore is retried share the manifest, the role map and the
 * database's creation; apart, each would reach into the others.
 */
@ApplicationScoped
@Named("prepare")
public class Prepare {

    private static final Logger LOG = Logger.getLogger(Prepare.class);

    @Inject
    RunContexts contexts;
    @Inject
    Precheck precheck;
    @Inject
    CaravanConfig config;
    @Inject
    RunLog runLog;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;
    @Inject
    PgTools tools;

    public void prepare(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        Checksum.requireVerified(ctx);
        PipelineJournal pipeline = PipelineJournal.of(ctx.workDir());
        if (pipeline.prepared()) {
            String list = DeliveryTree.read(ctx.verifiedDir().resolve(DeliveryFiles.CHECKSUMS), DeliveryFiles.MAX_LIST);
            if (pipeline.consistentWith(list)) {
                exchange.setProperty(StageDetail.PROPERTY, pipeline.preparedDetail() + " (done while the delivery was arriving, restore.pipelined)");
                return;
            }
            // (what the pipeline took is not what the signed list names: whatever it did goes)
            runLog.warn(LOG, ctx.runId(), "the restore begun while the delivery arrived used pieces the signed checksum list does not name;"
                    + " preparing again from the checked delivery");
            if (store.find(ctx.runId()).orElseThrow().destinationDisposable()) {
                cleanForParallelRestore(ctx);
            }
        }
        exchange.setProperty(StageDetail.PROPERTY, prepare(ctx));
    }

    /**
     * The prepare stage's work done by the pipelined restore, from the pieces it took (roles,
     * manifest, table of contents), before the delivery is complete. A new dump of a run whose
     * earlier pipeline restored into a database it may throw away starts from a clean one.
     */
    String early(RunContext ctx) throws Exception {
        if (store.find(ctx.runId()).orElseThrow().destinationDisposable()) {
            cleanForParallelRestore(ctx);
        }
        return prepare(ctx);
    }

    private String prepare(RunContext ctx) throws Exception {
        SourceManifest manifest = manifest(ctx);
        if (config.role() == CaravanConfig.Role.IMPORT) {
            precheck.checkDestination(ctx, manifest); // the export agent could not check this side
        }
        DatabaseEndpoint dst = ctx.job().destination();
        String roles;
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            RoleMap map = roleMap(ctx, maint);
            roles = RoleMigration.apply(ctx, maint, runLog, map) + (map.isEmpty() ? "" : " (mapped: " + map.describe() + ")");
            if (ctx.job().conflicts() == JobConfig.ConflictMode.REPLACE && Catalog.databaseExists(maint, dst.database())) {
                runLog.warn(LOG, ctx.runId(), "conflicts=replace: dropping destination database " + dst.database() + " to create it anew");
                drop(maint, dst.database());
            }
            if (!Catalog.databaseExists(maint, dst.database())) {
                String owner = create(maint, ctx, manifest.source(), map);
                store.setDestinationCreated(ctx.runId());
                return roles + "; created database " + dst.database() + " ("
                        + manifest.source().encoding() + ", collate " + manifest.source().collate() + ", owner " + owner + ")"
                        + properties(ctx, manifest);
            }
        }
        List<String> existing;
        try (Connection c = PgConnections.open(dst, dst.database())) {
            existing = Catalog.tables(c).stream().map(Catalog.Table::display).toList();
        }
        List<String> clashing = clashing(manifest, existing);
        if (!clashing.isEmpty() && ctx.job().conflicts() == JobConfig.ConflictMode.IGNORE) {
            runLog.warn(LOG, ctx.runId(), String.format("%d tables to restore already exist in %s; conflicts=ignore, so their rows are loaded into them", clashing.size(), dst.database()));
        } else if (!clashing.isEmpty()) {
            throw new StageFailedException("destination database " + dst.database() + " already holds "
                    + clashing.size() + " of the tables to restore (" + String.join(", ", clashing.stream().limit(5).toList())
                    + (clashing.size() > 5 ? ", ..." : "") + "); refusing to restore over them");
        }
        if (existing.isEmpty()) {
            store.setDestinationWasEmpty(ctx.runId());
        }
        return roles + "; using existing database " + dst.database()
                + (existing.isEmpty() ? " (empty)" : " (" + existing.size() + " tables already there)") + properties(ctx, manifest);
    }

    /** The source database's comment, ACL, settings and per-role settings on the destination database, from the dump. */
    private String properties(RunContext ctx, SourceManifest manifest) throws Exception {
        DatabaseEndpoint dst = ctx.job().destination();
        List<String> statements;
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            RoleMap map = roleMap(ctx, maint);
            statements = DatabaseProperties.statements(tools.path("pg_restore"), ctx, manifest).stream().map(map::runnable).toList();
            java.util.Set<String> acting = new java.util.LinkedHashSet<>();
            statements.forEach(st -> acting.addAll(RoleMap.actingRoles(st)));
            Memberships.ensure(maint, ctx.workDirMade(), acting);
        }
        int applied = DatabaseProperties.apply(dst, statements);
        return applied == 0 ? "; no database-level properties in the dump" : "; the source database's own properties (" + applied + " statements)";
    }

    /**
     * Before a parallel restore (re)starts: if an earlier attempt left restored tables behind, the
     * database is dropped and recreated — only if this run created it or found it empty. Otherwise
     * the run stops and says why, rather than touching data that was there before. A
     * single-transaction restore rolls back on its own and needs none of this.
     */
    public void cleanForParallelRestore(RunContext ctx) throws Exception {
        DatabaseEndpoint dst = ctx.job().destination();
        SourceManifest manifest = manifest(ctx);
        RunRecord run = store.find(ctx.runId()).orElseThrow();
        List<String> left;
        long objects;
        try (Connection c = PgConnections.open(dst, dst.database())) {
            left = clashing(manifest, Catalog.tables(c).stream().map(Catalog.Table::display).toList());
            // an attempt stopped before its first table still leaves schemas, types, functions, ...
            objects = run.destinationDisposable() ? userObjects(c) : left.size();
        }
        if (objects == 0) {
            return;
        }
        if (!run.destinationDisposable()) {
            throw StageFailedException.verdict("an earlier parallel restore attempt left " + left.size()
                    + " tables in " + dst.database() + ", a database this run neither created nor found empty; "
                    + "not cleaning it up automatically: drop what the restore created (or the database) and resume the run");
        }
        runLog.warn(LOG, ctx.runId(), String.format("dropping and recreating %s to clean up after a failed parallel restore (%d objects left)",
                dst.database(), objects));
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            drop(maint, dst.database());
            create(maint, ctx, manifest.source(), roleMap(ctx, maint));
        }
        properties(ctx, manifest);
    }

    /** Objects in a database that a new one made from template0 does not have. */
    private static long userObjects(Connection c) throws java.sql.SQLException {
        String user = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' "
                + "AND n.nspname NOT LIKE 'pg_toast_temp%'";
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT "
                + "(SELECT count(*) FROM pg_namespace n WHERE " + user + " AND n.nspname <> 'public') "
                + "+ (SELECT count(*) FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE " + user + ") "
                + "+ (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE " + user + ") "
                + "+ (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " + user + ") "
                + "+ (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql') "
                + "+ (SELECT count(*) FROM pg_largeobject_metadata)")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The manifest's tables that exist in the destination database right now. */
    public List<String> existingTables(RunContext ctx) throws Exception {
        DatabaseEndpoint dst = ctx.job().destination();
        try (Connection c = PgConnections.open(dst, dst.database())) {
            return clashing(manifest(ctx), Catalog.tables(c).stream().map(Catalog.Table::display).toList());
        }
    }

    private static void drop(Connection maint, String database) throws SQLException {
        boolean force = Catalog.serverMajor(maint) >= 13; // sessions still connected would block it otherwise
        try (Statement st = maint.createStatement()) {
            st.execute("DROP DATABASE " + PgConnections.ident(database) + (force ? " WITH (FORCE)" : ""));
        }
    }

    SourceManifest manifest(RunContext ctx) throws java.io.IOException {
        return json.readValue(DeliveryTree.read(ctx.verifiedDir().resolve(DeliveryFiles.MANIFEST), DeliveryFiles.MAX_MANIFEST), SourceManifest.class)
                .known();
    }

    private static List<String> clashing(SourceManifest manifest, List<String> existing) {
        return manifest.tables().stream().map(SourceManifest.TableRows::display).filter(existing::contains).toList();
    }

    /**
     * Which source roles are which on this destination: roles.map, and the source's superusers as
     * the login when that is not a superuser (RoleMap).
     */
    public RoleMap roleMap(RunContext ctx, Connection destination) throws Exception {
        SourceManifest.Source source = manifest(ctx).source();
        return RoleMap.of(ctx.job().roles().map(), source.superusers(), source.bootstrap(), destination);
    }

    /**
     * Creates the database as the guides do, with the source's encoding, collation, ctype and owner
     * (mapped, when that role exists here: a login that is not a superuser is made a member of it
     * first, as CREATE DATABASE ... OWNER requires); its settings, comment and ACL are given to it
     * right after, from the dump (DatabaseProperties). Returns the owner it got.
     */
    private static String create(Connection maint, RunContext ctx, SourceManifest.Source source, RoleMap map) throws Exception {
        String database = ctx.job().destination().database();
        String wanted = source.owner() == null ? null : map.to(source.owner());
        boolean ownerExists = wanted != null
                && Catalog.number(maint, "SELECT count(*) FROM pg_roles WHERE rolname = " + PgConnections.literal(wanted)) > 0;
        if (ownerExists) {
            Memberships.ensure(maint, ctx.workDirMade(), List.of(wanted));
        }
        String sql = "CREATE DATABASE " + PgConnections.ident(database) + " TEMPLATE template0 ENCODING "
                + PgConnections.literal(source.encoding()) + " LC_COLLATE " + PgConnections.literal(source.collate())
                + " LC_CTYPE " + PgConnections.literal(source.ctype())
                + (ownerExists ? " OWNER " + PgConnections.ident(wanted) : "");
        try (Statement st = maint.createStatement()) {
            st.execute(sql);
            return ownerExists ? wanted + (wanted.equals(source.owner()) ? "" : " (the source's " + source.owner() + ", mapped)")
                    : Catalog.strings(maint, "SELECT current_user").get(0) + " (the source's owner " + source.owner() + " does not exist here)";
        } catch (SQLException e) {
            if (e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"))) {
                throw e; // the server went away: a connection failure, retried as such
            }
            throw new StageFailedException("cannot create destination database " + database + " like the source's (encoding "
                    + source.encoding() + ", collate " + source.collate() + ", ctype " + source.ctype() + "): " + e.getMessage()
                    + io.pgcaravan.stage.ownership.PermissionHints.hint(e, sql, Catalog.strings(maint, "SELECT current_user").get(0)));
        }
    }
}

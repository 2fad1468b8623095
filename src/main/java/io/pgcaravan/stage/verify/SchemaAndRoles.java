package io.pgcaravan.stage.verify;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.RoleMap;
import io.pgcaravan.pg.PgConnections;
import java.sql.Connection;
import io.pgcaravan.delivery.RolesFile;
import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.live.Half;
import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.work.RunContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The verification's two comparisons made from scripts: the schema (the dump against a pg_dump of
 * the destination) and the roles the run created (what it ran against a pg_dumpall of the
 * destination). The tools write into the run's work directory, where the scripts stay.
 */
@ApplicationScoped
public class SchemaAndRoles {

    @Inject
    PgTools tools;
    @Inject
    PassFiles passFiles;
    @Inject
    RunStore store;

    /**
     * The source's schema as the dump carries it against the destination's, both scripts kept
     * in the run's work directory (SchemaComparison).
     */
    public Verification.SchemaCheck schema(RunContext ctx, SourceManifest manifest, List<String> selectionArgs, int destinationMajor)
            throws Exception {
        String unreadable = unreadable("pg_dump", destinationMajor);
        if (unreadable != null) {
            return skipping(ctx) ? Verification.SchemaCheck.skipped(unreadable) : Verification.SchemaCheck.notCompared(unreadable);
        }
        Path dir = ctx.workDirMade();
        Path source = dir.resolve("schema.source.sql");
        Path destination = dir.resolve("schema.destination.sql");
        JobConfig.DatabaseEndpoint dst = ctx.job().destination();
        SchemaDumps.source(tools.path("pg_restore"), ctx.verifiedDir().resolve(DeliveryFiles.DUMP), source);
        SchemaDumps.destination(tools.path("pg_dump"), ConnInfo.of(dst, dst.database(),
                passFiles.forRun(ctx.runId(), Half.IMPORT, ctx.job())), selectionArgs, destination);
        RunRecord run = store.find(ctx.runId()).orElseThrow();
        RoleMap map;
        try (Connection c = PgConnections.open(dst, dst.maintenanceDatabase())) {
            map = RoleMap.of(ctx.job().roles().map(), manifest.source().superusers(), manifest.source().bootstrap(), c);
        }
        return SchemaComparison.compare(Files.readString(source, StandardCharsets.UTF_8), Files.readString(destination, StandardCharsets.UTF_8),
                new SchemaComparison.Options(manifest.source().database(), dst.database(), !ctx.options().noOwner(),
                        !run.destinationCreated(), readOnly(manifest), map, ctx.privileges()));
    }

    /** The source database's own default_transaction_read_only, as the manifest read it (not the write freeze's). */
    private static String readOnly(SourceManifest manifest) {
        return manifest.source().settings() == null ? null : manifest.source().settings().stream()
                .filter(x -> x.startsWith("default_transaction_read_only=")).map(x -> x.substring(x.indexOf('=') + 1))
                .findFirst().orElse(null);
    }

    /** The roles this run created against the destination's; null when it migrated none. */
    public Verification.RoleCheck roles(RunContext ctx, int destinationMajor) throws Exception {
        Path applied = ctx.workDir().resolve(DeliveryFiles.ROLES_APPLIED);
        if (!Files.exists(applied)) {
            return null;
        }
        List<String> lines = Files.readAllLines(applied, StandardCharsets.UTF_8);
        String unreadable = unreadable("pg_dumpall", destinationMajor);
        if (unreadable != null) {
            // with verify.schema=if-readable the schema check lists it among what was allowed
            return new Verification.RoleCheck(0, List.of(), header(lines, RolesFile.KEPT), skipping(ctx) ? null : unreadable);
        }
        Path found = ctx.workDir().resolve("roles.destination.sql");
        JobConfig.DatabaseEndpoint dst = ctx.job().destination();
        SchemaDumps.roles(tools.path("pg_dumpall"), ConnInfo.of(dst, dst.maintenanceDatabase(),
                passFiles.forRun(ctx.runId(), Half.IMPORT, ctx.job())), found);
        return RoleComparison.compare(lines.stream().filter(l -> !l.startsWith("--")).toList(),
                header(lines, RolesFile.CREATED), header(lines, RolesFile.KEPT), Files.readString(found, StandardCharsets.UTF_8));
    }

    /**
     * Why a client tool cannot read the destination (it refuses servers of a newer major), or null
     * if it can. What it would have compared is then a difference: not compared is not matched
     * (the precheck's tools.verification says so before anything is moved).
     */
    private String unreadable(String tool, int destinationMajor) throws Exception {
        int major = tools.majorVersion(tool);
        return major >= destinationMajor ? null : tool + " " + major + " cannot read a PostgreSQL " + destinationMajor
                + " server, so this was not compared: install the PostgreSQL " + destinationMajor
                + " client tools and point caravan.tools.bin-dir at them, then verify the run again";
    }

    private static boolean skipping(RunContext ctx) {
        return ctx.job().verify().schema() == JobConfig.Verify.SchemaRequirement.IF_READABLE;
    }

    private static List<String> header(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> RolesFile.names(l.substring(prefix.length()))).orElse(List.of());
    }
}

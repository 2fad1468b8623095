package io.pgcaravan.stage;

import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.stage.io.FileTrees;
import io.pgcaravan.stage.precheck.PrecheckItem;
import io.pgcaravan.stage.prepare.RoleScript;
import io.pgcaravan.work.RunContexts;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.pg.SourceInspection;
import io.pgcaravan.retry.FailureClass;
import io.pgcaravan.retry.FailureClassifier;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.config.RunOptions;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.work.StageFailedException;
import io.pgcaravan.sftp.SftpProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Header;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The precheck stage: named items, each PASS, WARN or FAIL with a one-line reason and, where
 * useful, the objects concerned. It only reads (and writes one empty probe file into the drop
 * directory); a FAIL stops the run before anything is written anywhere. docs/runs.md lists the items.
 */
@ApplicationScoped
@Named("precheck")
public class Precheck {

    private static final Logger LOG = Logger.getLogger(Precheck.class);
    private static final int MAX_LISTED = 50;

    @Inject
    RunContexts contexts;
    @Inject
    RunStore store;
    @Inject
    PgTools tools;
    @Inject
    CaravanConfig config;
    @Inject
    com.fasterxml.jackson.databind.ObjectMapper json;

    /** Runs the precheck for a run, records the report with it and fails the stage on any FAIL. */
    public void run(@Header(RunHeaders.RUN_ID) String runId) {
        RunContext ctx = contexts.of(runId);
        record(runId, check(ctx.job(), ctx.options(), ctx.stagingDir().getParent(), runId));
    }

    /** Adds the items to the run's precheck report, logs them, and fails on any FAIL. */
    private void record(String runId, List<PrecheckItem> items) {
        List<PrecheckItem> all = new ArrayList<>(previous(runId));
        all.removeIf(p -> items.stream().anyMatch(i -> i.item().equals(p.item())));
        all.addAll(items);
        store.setPrecheck(runId, contexts.toJson(all));
        // a WARN (host key checking off, an older destination) is logged as one, at every run
        items.forEach(i -> LOG.logf(i.status() == PrecheckItem.Verdict.PASS ? Logger.Level.INFO : Logger.Level.WARN,
                "run %s precheck %s %s: %s", runId, i.status(), i.item(), i.message()));
        List<PrecheckItem> failed = items.stream().filter(i -> i.status() == PrecheckItem.Verdict.FAIL).toList();
        if (!failed.isEmpty()) {
            String message = "precheck failed: " + String.join("; ", failed.stream().map(i -> i.item() + ": " + i.message()).toList());
            // a server that cannot be reached may come back; anything else is a verdict
            boolean onlyUnreachable = failed.stream().allMatch(PrecheckItem::unreachable);
            throw new StageFailedException(message, onlyUnreachable ? FailureClass.CONNECTION : FailureClass.FINAL);
        }
    }

    /**
     * The precheck of a job on its own (POST /api/jobs/{job}/precheck): nothing is recorded. An
     * import agent checks its side only (it knows nothing of the source without a delivery).
     */
    public List<PrecheckItem> check(String jobName) {
        JobConfig job = contexts.job(jobName);
        if (config.role() == CaravanConfig.Role.IMPORT) {
            List<PrecheckItem> items = new ArrayList<>();
            destination(job, null, items);
            return items;
        }
        return check(job, RunOptions.of(job), contexts.stagingRoot(job), jobName);
    }

    /**
     * The import agent's precheck of a delivery, before it touches the destination: the
     * destination-side items, compared with the source as the manifest describes it. Recorded with
     * the run (and so sent back to the export agent); a FAIL stops the import.
     */
    public void checkDestination(RunContext ctx, SourceManifest manifest) {
        List<PrecheckItem> items = new ArrayList<>();
        SourceManifest.Source m = manifest.source();
        Source source = new Source(m.major(), manifest.tables().stream().map(SourceManifest.TableRows::display).toList(),
                new Catalog.DatabaseSettings(m.encoding(), m.collate(), m.ctype(), m.owner(), m.settings()),
                manifest.extensions() == null ? List.of() : manifest.extensions(), 0);
        items.add(toolVersion("pg_restore", source));
        destination(ctx.job(), source, items);
        record(ctx.runId(), items);
    }

    List<PrecheckItem> check(JobConfig job, RunOptions options, Path stagingRoot, String probeName) {
        List<PrecheckItem> items = new ArrayList<>();
        ObjectSelection selection = ObjectSelection.of(job.select());
        Source source = source(job, selection, items);

        items.add(toolVersion("pg_dump", source));
        if (job.roles().migrate()) {
            items.add(toolVersion("pg_dumpall", source));
        }
        if (config.role() == CaravanConfig.Role.ALL) {
            // in a split deployment the import agent checks its side when the delivery arrives
            items.add(toolVersion("pg_restore", source));
            destination(job, source, items);
        }

        Long dropFree = null;
        if (!job.intermediate().strictHostKeyChecking()) {
            items.add(PrecheckItem.warn("intermediate.host-key", "host key checking is OFF for " + job.intermediate().host()
                    + " (intermediate.strict-host-key-checking=false): the dump could be intercepted"));
        }
        try {
            SftpProbe.Result probe = SftpProbe.check(job.intermediate(), probeName);
            items.add(PrecheckItem.pass("intermediate.connection", probe.message()));
            dropFree = probe.freeBytes();
        } catch (SftpProbe.ProbeException e) {
            items.add(e.unreachable() ? PrecheckItem.unreachable("intermediate.connection", e.getMessage())
                    : PrecheckItem.fail("intermediate.connection", e.getMessage()));
        }

        if (source != null) {
            items.add(space("space.staging", "the local staging directory " + stagingRoot, free(stagingRoot), source.dataBytes,
                    options.dumpCompression()));
            items.add(space("space.intermediate", "the drop directory on " + job.intermediate().host(), dropFree, source.dataBytes,
                    options.dumpCompression()));
        }
        items.add(PrecheckItem.pass("retry.windows", "connection failures retried for "
                + RetryDuration.format(options.retryConnection()) + ", other failures for " + RetryDuration.format(options.retryOther())));
        return items;
    }

    /** What the precheck learnt about the source, for the items that compare it with the destination. */
    private record Source(int major, List<String> tables, Catalog.DatabaseSettings settings, List<String> extensions,
                          long dataBytes) {
    }

    /** The items already recorded (the export agent's, when an import agent adds its own). */
    private List<PrecheckItem> previous(String runId) {
        String stored = store.find(runId).map(r -> r.precheckJson()).orElse(null);
        if (stored == null) {
            return List.of();
        }
        try {
            return List.of(json.readValue(stored, PrecheckItem[].class));
        } catch (Exception e) {
            return List.of();
        }
    }

    private Source source(JobConfig job, ObjectSelection selection, List<PrecheckItem> items) {
        try (Connection src = PgConnections.open(job.source(), job.source().database())) {
            int major = Catalog.serverMajor(src);
            List<String> tables = selection.tables(Catalog.tables(src)).stream().map(Catalog.Table::display).toList();
            items.add(PrecheckItem.pass("source.connection", "connected to " + where(job.source())
                    + " as " + job.source().user() + ", PostgreSQL " + Catalog.serverVersion(src)
                    + ", " + tables.size() + " tables to migrate"));
            if (!selection.isEverything() && tables.isEmpty()) {
                items.add(PrecheckItem.fail("source.selection", "the job's select.* patterns match no table"));
            }
            List<String> unreadable = SourceInspection.unreadable(src, selection);
            items.add(unreadable.isEmpty()
                    ? PrecheckItem.pass("source.privileges", job.source().user() + " can read every object to migrate")
                    : PrecheckItem.fail("source.privileges", job.source().user() + " cannot read " + unreadable.size()
                    + " objects (needs USAGE on their schema and SELECT): " + listed(unreadable), limit(unreadable)));
            List<String> cFunctions = SourceInspection.cFunctions(src, selection);
            if (!cFunctions.isEmpty()) {
                items.add(PrecheckItem.warn("source.c-functions", cFunctions.size()
                        + " functions written in C, which managed destinations refuse: " + listed(cFunctions), limit(cFunctions)));
            }
            List<String> noKey = SourceInspection.withoutKey(src, selection);
            if (!noKey.isEmpty()) {
                items.add(PrecheckItem.warn("source.tables-without-key", noKey.size()
                        + " tables have no primary key or unique constraint (duplicate rows are copied as they are): "
                        + listed(noKey), limit(noKey)));
            }
            long largeObjects = SourceInspection.largeObjects(src);
            if (largeObjects > 0) {
                items.add(PrecheckItem.warn("source.large-objects", largeObjects
                        + " large objects: they travel in the dump, which takes longer than table data of the same size"));
            }
            if (job.roles().migrate() && job.roles().passwords() && !SourceInspection.canReadPasswords(src)) {
                items.add(PrecheckItem.fail("roles.passwords", job.source().user() + " cannot read the roles' passwords "
                        + "(pg_authid), as on managed sources: set roles.passwords=false to migrate the roles without them"));
            }
            if (job.freezeSourceWrites()) {
                long sessions = SourceInspection.otherSessions(src);
                items.add(sessions == 0 ? PrecheckItem.pass("source.sessions", "no other session is connected to "
                        + job.source().database() + "; the write freeze covers every new one")
                        : PrecheckItem.warn("source.sessions", sessions + " other sessions are connected to "
                        + job.source().database() + ": the write freeze only applies to sessions that start after it"));
            }
            return new Source(major, tables, Catalog.databaseSettings(src), SourceInspection.extensions(src),
                    SourceInspection.dataBytes(src, selection));
        } catch (SQLException e) {
            items.add(connectionFailure("source.connection", where(job.source()), e));
            return null;
        }
    }

    private PrecheckItem toolVersion(String tool, Source source) {
        String item = "tools." + tool;
        try {
            int major = tools.majorVersion(tool);
            if (source == null) {
                return PrecheckItem.warn(item, tools.path(tool) + " is version " + major + "; source version unknown");
            }
            if (major < source.major) {
                return PrecheckItem.fail(item, tools.path(tool) + " is version " + major + ", older than the source ("
                        + source.major + "): install the PostgreSQL " + source.major + " client tools");
            }
            return PrecheckItem.pass(item, tools.path(tool) + " version " + major + " can read source version " + source.major);
        } catch (Exception e) {
            return PrecheckItem.fail(item, "cannot run " + tools.path(tool) + ": " + e.getMessage());
        }
    }

    private void destination(JobConfig job, Source source, List<PrecheckItem> items) {
        JobConfig.DatabaseEndpoint dst = job.destination();
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            int major = Catalog.serverMajor(maint);
            boolean exists = Catalog.databaseExists(maint, dst.database());
            items.add(PrecheckItem.pass("destination.connection", "connected to " + where(dst) + " as " + dst.user()
                    + ", PostgreSQL " + Catalog.serverVersion(maint) + "; database " + dst.database()
                    + (exists ? " exists" : " will be created")));
            if (source != null) {
                items.add(major >= source.major
                        ? PrecheckItem.pass("destination.version", "destination " + major + " >= source " + source.major)
                        : PrecheckItem.warn("destination.version", "destination " + major + " is older than source "
                        + source.major + ": objects using newer features will fail to restore"));
            }
            items.add(privileges(maint, dst, exists));
            items.add(flavour(maint, job.flavour()));
            if (source != null) {
                List<String> available = Catalog.strings(maint, "SELECT name FROM pg_available_extensions");
                List<String> missing = source.extensions.stream().filter(e -> !available.contains(e)).toList();
                items.add(missing.isEmpty()
                        ? PrecheckItem.pass("destination.extensions", source.extensions.isEmpty() ? "the source uses no extensions"
                        : "all extensions the source uses are available: " + String.join(", ", source.extensions))
                        : PrecheckItem.fail("destination.extensions", "extensions used on the source are not available on the destination: "
                        + String.join(", ", missing), missing));
                if (!exists) {
                    items.add(locale(maint, source.settings));
                }
            }
            if (exists && source != null) {
                items.add(conflicts(job, source.tables));
            }
        } catch (SQLException e) {
            items.add(connectionFailure("destination.connection", where(dst), e));
        }
    }

    private static PrecheckItem privileges(Connection maint, JobConfig.DatabaseEndpoint dst, boolean exists) throws SQLException {
        if (exists) {
            try (var ps = maint.prepareStatement("SELECT has_database_privilege(?, 'CREATE')")) {
                ps.setString(1, dst.database());
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1)
                            ? PrecheckItem.pass("destination.privileges", dst.user() + " may create objects in " + dst.database())
                            : PrecheckItem.fail("destination.privileges", dst.user() + " has no CREATE privilege on database "
                            + dst.database() + ": make it the owner or GRANT CREATE ON DATABASE");
                }
            }
        }
        long canCreate = Catalog.number(maint, "SELECT CASE WHEN rolsuper OR rolcreatedb THEN 1 ELSE 0 END FROM pg_roles WHERE rolname = current_user");
        return canCreate == 1
                ? PrecheckItem.pass("destination.privileges", dst.user() + " may create database " + dst.database())
                : PrecheckItem.fail("destination.privileges", dst.user() + " may not create databases (CREATEDB): "
                + "create " + dst.database() + " beforehand or grant CREATEDB");
    }

    /** A managed flavour's superuser role must be there, or the job names the wrong flavour. */
    private static PrecheckItem flavour(Connection maint, JobConfig.Flavour flavour) throws SQLException {
        String role = RoleScript.superuserRole(flavour);
        if (role == null) {
            return PrecheckItem.pass("destination.flavour", "plain PostgreSQL: roles are created as they are on the source");
        }
        boolean present = Catalog.number(maint, "SELECT count(*) FROM pg_roles WHERE rolname = '" + role + "'") > 0;
        return present
                ? PrecheckItem.pass("destination.flavour", flavour.name().toLowerCase(Locale.ROOT) + ": SUPERUSER roles become members of " + role)
                : PrecheckItem.fail("destination.flavour", "flavour " + flavour.name().toLowerCase(Locale.ROOT)
                + " but the destination has no role " + role + ": is caravan.jobs.<job>.flavour right?");
    }

    /** The source's collation and ctype must exist on the destination for CREATE DATABASE to take them. */
    private static PrecheckItem locale(Connection maint, Catalog.DatabaseSettings source) throws SQLException {
        Set<String> known = new HashSet<>(Catalog.strings(maint, "SELECT collcollate FROM pg_collation WHERE collcollate IS NOT NULL"));
        known.addAll(Set.of("C", "POSIX"));
        Set<String> normalized = known.stream().map(Precheck::normalizeLocale).collect(Collectors.toSet());
        List<String> missing = new ArrayList<>();
        for (String l : new java.util.LinkedHashSet<>(List.of(source.collate(), source.ctype()))) {
            if (!normalized.contains(normalizeLocale(l))) {
                missing.add(l);
            }
        }
        if (missing.isEmpty()) {
            return PrecheckItem.pass("destination.locale", "collation " + source.collate() + " and ctype " + source.ctype()
                    + " are available for the new database");
        }
        String language = missing.get(0).split("[._@]")[0].toLowerCase(Locale.ROOT);
        List<String> alternatives = known.stream().filter(k -> k.toLowerCase(Locale.ROOT).startsWith(language)).sorted().limit(8).toList();
        return PrecheckItem.fail("destination.locale", "locale " + String.join(", ", missing) + " of the source does not exist on the destination"
                + (alternatives.isEmpty() ? "" : "; it offers " + String.join(", ", alternatives)), alternatives);
    }

    /** The C library treats "en_US.UTF-8" and "en_US.utf8" as the same locale. */
    static String normalizeLocale(String locale) {
        int dot = locale.indexOf('.');
        if (dot < 0) {
            return locale;
        }
        int at = locale.indexOf('@', dot);
        String codeset = (at < 0 ? locale.substring(dot + 1) : locale.substring(dot + 1, at)).toLowerCase(Locale.ROOT).replace("-", "");
        return locale.substring(0, dot) + "." + codeset + (at < 0 ? "" : locale.substring(at));
    }

    /** Tables the restore would create but that already exist on the destination. */
    private static PrecheckItem conflicts(JobConfig job, List<String> sourceTables) {
        JobConfig.DatabaseEndpoint dst = job.destination();
        try (Connection c = PgConnections.open(dst, dst.database())) {
            Set<String> existing = Catalog.tables(c).stream().map(Catalog.Table::display).collect(Collectors.toSet());
            List<String> clashing = sourceTables.stream().filter(existing::contains).toList();
            if (clashing.isEmpty()) {
                return PrecheckItem.pass("destination.conflicts", "none of the tables to migrate exist in " + dst.database());
            }
            String message = clashing.size() + " of the tables to migrate already exist in " + dst.database() + ": " + listed(clashing);
            return switch (job.conflicts()) {
                case IGNORE -> PrecheckItem.warn("destination.conflicts", message
                        + " (conflicts=ignore: their rows are loaded into the existing tables)", limit(clashing));
                case REPLACE -> PrecheckItem.warn("destination.conflicts", message
                        + " (conflicts=replace: the database is dropped and created anew before the restore)", limit(clashing));
                case FAIL -> PrecheckItem.fail("destination.conflicts", message, limit(clashing));
            };
        } catch (SQLException e) {
            return PrecheckItem.fail("destination.conflicts", "cannot read " + dst.database() + ": " + e.getMessage());
        }
    }

    /**
     * Free space against the table data to dump. An uncompressed dump takes about the data's size;
     * a compressed one typically a fifth to a half. So: with compression set to none, less than
     * the data fails; otherwise it warns (the default compresses only on a slow link), and less
     * than a tenth of it fails.
     */
    static PrecheckItem space(String item, String where, Long free, long data, Integer compression) {
        if (free == null) {
            return PrecheckItem.warn(item, "cannot tell the free space of " + where + "; the tables to dump hold "
                    + FileTrees.humanBytes(data));
        }
        String facts = FileTrees.humanBytes(free) + " free in " + where + " for " + FileTrees.humanBytes(data) + " of table data";
        boolean uncompressed = compression != null && compression == 0;
        if (free < data / 10 || (uncompressed && free < data)) {
            return PrecheckItem.fail(item, facts + (uncompressed ? ": too little for an uncompressed dump (dump.compression=0)"
                    : ": clearly too little, even for a well compressed dump"));
        }
        if (free < data) {
            return PrecheckItem.warn(item, facts + ": enough only if the dump is compressed and compresses well"
                    + (compression == null ? " (by default it is compressed only on a slow link; dump.compression=1 makes sure)" : ""));
        }
        return PrecheckItem.pass(item, facts);
    }

    private static Long free(Path dir) {
        try {
            Path existing = dir;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            return existing == null ? null : Files.getFileStore(existing).getUsableSpace();
        } catch (Exception e) {
            return null;
        }
    }

    private static PrecheckItem connectionFailure(String item, String where, SQLException e) {
        String message = "cannot connect to " + where + ": " + e.getMessage();
        return FailureClassifier.classify(e) == FailureClass.CONNECTION
                ? PrecheckItem.unreachable(item, message) : PrecheckItem.fail(item, message);
    }

    private static String listed(List<String> names) {
        return names.stream().limit(5).collect(Collectors.joining(", ")) + (names.size() > 5 ? ", ..." : "");
    }

    private static List<String> limit(List<String> names) {
        return names.stream().limit(MAX_LISTED).toList();
    }

    private static String where(JobConfig.DatabaseEndpoint ep) {
        return ep.host() + ":" + ep.port() + "/" + ep.database();
    }
}

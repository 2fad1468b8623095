package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.DeliveryTree;
import io.pgcaravan.stage.pipeline.PipelineJournal;
import io.pgcaravan.stage.pipeline.PieceLoad;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.exec.ToolCommand;
import io.pgcaravan.exec.ToolExecutor;
import org.apache.camel.LoggingLevel;
import org.apache.camel.component.exec.ExecCommand;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;

import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.DumpSequences;
import io.pgcaravan.delivery.RoleMap;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.stage.ownership.Memberships;
import io.pgcaravan.stage.ownership.OwnershipScript;
import java.sql.Connection;
import java.sql.Statement;
import io.pgcaravan.stage.io.ToolCall;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.RestoreMode;
import org.apache.camel.component.exec.ExecBinding;
import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.track.Progress;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.store.RunStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The restore stage: pg_restore, atomic (single transaction) or parallel, or what a pipelined
 * restore left; then the owners and privileges, then the statistics.
 * <p>
 * Longer than 250 lines because which restore runs (one transaction, parallel, the rest of a
 * pipelined one) decides its flags, its list, the tables in pieces loaded before it and the owners
 * step after it, all from one TOC and one manifest.
 */
@ApplicationScoped
@Named("restore")
public class Restore {

    @Inject
    RunContexts contexts;
    @Inject
    PassFiles passFiles;
    @Inject
    PgTools tools;
    @Inject
    Prepare prepareTarget;
    @Inject
    Progress progress;
    @Inject
    RunStore store;
    @Inject
    ToolExecutor executor;
    @Inject
    ActiveRuns activeRuns;

    /** In the run's work directory once pg_restore has restored the objects and data: a retry gives only the owners and privileges. */
    static final String DATA_RESTORED = "restore.data-restored";
    /** The TOC lines of privileges: grants and default privileges. */
    static final Pattern PRIVILEGES = Pattern.compile("^\\d+; \\d+ \\d+ (ACL|DEFAULT ACL) ");

    /** Sets up pg_restore; false when an earlier attempt restored the objects and data already (only the owners are left to give). */
    public boolean command(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        Checksum.requireVerified(ctx);
        if (Files.exists(ctx.workDirMade().resolve(DATA_RESTORED))) {
            exchange.setProperty(StageDetail.PROPERTY, "objects and data restored by an earlier attempt");
            return false;
        }
        Path dump = ctx.verifiedDir().resolve(DeliveryFiles.DUMP);
        List<String> toc = DumpSequences.toc(tools.path("pg_restore"), dump, ctx.workDirMade());
        List<String> args = new ArrayList<>();
        String detail;
        boolean parallel = false;
        java.util.Set<String> pipelined = null; // the TABLE DATA restored while the delivery arrived
        java.util.Set<String> built = java.util.Set.of(); // the indexes and keys built with it
        List<String> existing = ctx.job().conflicts() == JobConfig.ConflictMode.IGNORE ? prepareTarget.existingTables(ctx) : List.of();
        Map<String, TablePieces> pieces = PieceLoad.byFile(PieceLoad.checked(prepareTarget.manifest(ctx).piecesOrNone()));
        if (!pieces.isEmpty() && (!existing.isEmpty() || mode(ctx) == RestoreMode.SINGLE_TRANSACTION)) {
            // (the export half splits no table for such a job: this one changed, or its destination did)
            throw new IllegalStateException("the delivery carries " + pieces.values().stream().distinct().count()
                    + " tables in pieces (dump.split-tables-larger-than), which only a parallel restore into a database this run "
                    + "created or found empty loads, and this restore would be " + (existing.isEmpty() ? "in one transaction"
                    : "into existing tables (conflicts=ignore)") + ": nothing was restored; dump again with "
                    + "dump.split-tables-larger-than=0, or set restore.mode=parallel");
        }
        boolean schemaFirst = false; // the schema restored here before the pieces, then the data and the rest
        int piecesEarly = 0; // the pieces the pipelined restore loaded
        if (!existing.isEmpty()) {
            // conflicts=ignore: pg_restore goes on past the objects that already exist (exit 1, errors
            // logged) and loads their rows; the verification tells whether the result matches
            exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_EXIT_VALUES, "0,1");
            detail = "into " + existing.size() + " existing tables (conflicts=ignore)";
        } else if (mode(ctx) == RestoreMode.SINGLE_TRANSACTION) {
            // all or nothing: a failed restore leaves the destination as it was
            args.add("--single-transaction");
            args.add("--exit-on-error");
            detail = "single transaction";
        } else {
            PipelineJournal pipeline = PipelineJournal.of(ctx.workDir());
            if (pipeline.exists() && pipeline.buildable(DeliveryTree.read(ctx.verifiedDir().resolve(DeliveryFiles.CHECKSUMS), DeliveryFiles.MAX_LIST))) {
                // the schema and the data of the tables that arrived first are in: the rest, then the
                // indexes and constraints; a second attempt at this starts again from a clean database
                pipelined = pipeline.restoredData();
                built = pipeline.restoredPost();
                int before = pieces.size();
                pieces.keySet().removeAll(pipeline.restoredPieces());
                piecesEarly = before - pieces.size();
                pipeline.note("begin " + PipelineJournal.REST);
                args.add("--section=data");
                args.add("--section=post-data");
            } else {
                // (a pipelined restore stopped in the middle of a pg_restore is cleaned up as a failed attempt is)
                prepareTarget.cleanForParallelRestore(ctx);
                schemaFirst = !pieces.isEmpty();
            }
            parallel = true;
            args.add("--jobs=" + ctx.options().restoreJobs());
            args.add("--exit-on-error");
            detail = ctx.options().restoreJobs() + " parallel jobs"
                    + (ctx.options().restoreMode() == RestoreMode.AUTO ? " (into a database this run created or found empty)" : "");
            if (pipelined != null) {
                long tables = toc.stream().filter(l -> TABLE_DATA.matcher(l).find()).count();
                detail += ", after the schema and " + pipelined.size() + " of " + tables + " tables' data"
                        + (piecesEarly == 0 ? "" : " and " + piecesEarly + " pieces of tables in pieces")
                        + (built.isEmpty() ? "" : " with " + built.size() + " indexes and keys") + " restored as the delivery arrived";
            }
        }
        args.add("--no-tablespaces");
        boolean afterwards = ownersAfterwards(ctx);
        java.util.Set<String> done = new java.util.HashSet<>(built);
        if (pipelined != null) {
            done.addAll(pipelined);
        }
        List<String> entries = toc.stream().filter(l -> !(afterwards && PRIVILEGES.matcher(l).find()) && !restored(l, done)).toList();
        if (entries.size() < toc.size()) {
            Path list = ctx.workDir().resolve("restore.list");
            Files.write(list, entries, StandardCharsets.UTF_8);
            args.add("--use-list=" + list);
        }
        if (!afterwards && ctx.options().noOwner()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        } else if (afterwards) {
            args.add("--no-owner");
            long privileges = toc.stream().filter(l -> PRIVILEGES.matcher(l).find()).count();
            detail += ctx.options().noOwner() ? ", owned by the login (restore.no-owner), then " + privileges
                    + " privileges in one transaction" : ", then the owners and " + privileges + " privileges in one transaction";
        }
        args.addAll(connection(ctx, parallel));
        args.add(dump.toString());
        if (!pieces.isEmpty()) {
            detail += loadPieces(ctx, args, pieces, schemaFirst);
            if (schemaFirst) {
                args.add(args.size() - 1, "--section=data");
                args.add(args.size() - 1, "--section=post-data");
            }
        }
        ToolCall.set(exchange.getMessage(), tools.path("pg_restore"), args);
        exchange.setProperty(StageDetail.PROPERTY, detail);
        progress.start(ctx.runId(), "restore", toc.size(), "items");
        return true;
    }

    /**
     * The pieces of the tables in pieces not loaded yet, loaded on the restore's jobs before
     * pg_restore loads the other tables' data and builds the indexes: into the schema a pipelined
     * restore restored, or ({@code schemaFirst}) into the schema pg_restore restores first here.
     */
    private String loadPieces(RunContext ctx, List<String> args, Map<String, TablePieces> pieces, boolean schemaFirst) throws Exception {
        if (schemaFirst) {
            List<String> pre = new ArrayList<>(args);
            pre.add(pre.size() - 1, "--section=pre-data");
            executor.execute(new ToolCommand(new ExecCommand(tools.path("pg_restore"), pre, null, Long.MAX_VALUE, null, null, null,
                    false, LoggingLevel.DEBUG), ctx.runId(), "restore"));
        }
        long began = System.nanoTime();
        long rows = PieceLoad.loadAll(ctx.job().destination(), settings(ctx.job(), true), pieces,
                PieceLoad.dumpDir(ctx.verifiedDir()), ctx.options().restoreJobs(), stop -> activeRuns.stoppable(ctx.runId(), Half.IMPORT, stop));
        return String.format(", %d pieces of %d tables in pieces loaded (%d rows, %.1f s)%s", pieces.size(),
                pieces.values().stream().distinct().count(), rows, (System.nanoTime() - began) / 1e9, schemaFirst ? " after the schema" : "");
    }

    private static final Pattern TABLE_DATA = Pattern.compile("^(\\d+); \\d+ \\d+ TABLE DATA ");
    private static final Pattern ENTRY = Pattern.compile("^(\\d+); \\d+ \\d+ (TABLE DATA|INDEX|CONSTRAINT|FK CONSTRAINT) ");

    /** Whether the TOC line is a table's data the pipelined restore loaded already, or an index or key it built. */
    private static boolean restored(String line, java.util.Set<String> ids) {
        java.util.regex.Matcher m = ENTRY.matcher(line);
        return m.find() && ids.contains(m.group(1));
    }

    /**
     * Whether the owners and privileges are given after the restore (OwnershipScript; with
     * restore.no-owner only the privileges: the login owns everything). Not when no privileges
     * travel, nor for conflicts=ignore (pg_restore goes past what exists, entry by entry, owners
     * and grants with it), nor for a restore in one transaction by a superuser with no role
     * mapped: pg_restore gives owners and grants itself there, inside that one transaction, so a
     * failure leaves a database that held something before exactly as it was.
     */
    private boolean ownersAfterwards(RunContext ctx) throws Exception {
        if (!ctx.privileges() || ctx.job().conflicts() == JobConfig.ConflictMode.IGNORE) {
            return false;
        }
        if (ctx.options().noOwner() || mode(ctx) != RestoreMode.SINGLE_TRANSACTION) {
            return true;
        }
        JobConfig.DatabaseEndpoint dst = ctx.job().destination();
        try (Connection c = PgConnections.open(dst, dst.maintenanceDatabase())) {
            boolean superuser = Catalog.number(c, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolsuper") > 0;
            return !superuser || !prepareTarget.roleMap(ctx, c).isEmpty();
        }
    }

    /** After pg_restore succeeded: a retry of the stage does not restore again. */
    public void dataRestored(Exchange exchange) throws IOException {
        RunContext ctx = contexts.of(exchange);
        Files.writeString(ctx.workDirMade().resolve(DATA_RESTORED), "pg_restore exited 0\n", StandardCharsets.UTF_8);
    }

    /**
     * After the objects and data: every object's owner as the dump says (mapped for the
     * destination), then the dump's privileges in the dump's order, in one transaction, with
     * the memberships the login needs for them granted first.
     */
    public void ownership(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        if (!ownersAfterwards(ctx)) {
            return;
        }
        Path dump = ctx.verifiedDir().resolve(DeliveryFiles.DUMP);
        List<String> toc = DumpSequences.toc(tools.path("pg_restore"), dump, ctx.workDirMade());
        List<String> privileges = toc.stream().filter(l -> PRIVILEGES.matcher(l).find()).toList();
        Path list = null;
        if (!privileges.isEmpty()) {
            list = ctx.workDir().resolve("restore.privileges.list");
            Files.write(list, privileges, StandardCharsets.UTF_8);
        }
        JobConfig.DatabaseEndpoint dst = ctx.job().destination();
        String detail = exchange.getProperty(StageDetail.PROPERTY, String.class);
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase());
             Connection db = PgConnections.open(dst, dst.database())) {
            RoleMap map = prepareTarget.roleMap(ctx, maint);
            OwnershipScript.Script script = OwnershipScript.build(tools.path("pg_restore"), dump, ctx.workDir(), list, map,
                    !ctx.options().noOwner());
            OwnershipScript.keep(ctx.workDir(), script);
            List<String> granted = Memberships.ensure(maint, ctx.workDir(), script.acting());
            String login = Catalog.strings(maint, "SELECT current_user").get(0);
            try (Statement st = db.createStatement()) {
                st.execute("SET default_transaction_read_only = off; SET statement_timeout = 0");
            }
            OwnershipScript.apply(db, script, login);
            detail += "; " + script.owners() + " owners and " + script.privileges() + " privilege statements given ("
                    + OwnershipScript.FILE + ")" + (map.isEmpty() ? "" : ", roles mapped: " + map.describe())
                    + (granted.isEmpty() ? "" : ", " + login + " made a member of " + String.join(", ", granted) + " until the verification has done");
        }
        exchange.setProperty(StageDetail.PROPERTY, detail);
    }

    private List<String> connection(RunContext ctx, boolean parallel) {
        return List.of("--no-password", "--verbose", "--dbname=" + ConnInfo.of(ctx.job().destination(), ctx.job().destination().database(),
                passFiles.forRun(ctx.runId(), Half.IMPORT, ctx.job()), settings(ctx.job(), parallel)));
    }

    /**
     * The restore mode this run uses. {@code auto} restores in parallel only into a database the
     * run may throw away (it created it, or found it empty), where a failed attempt is cleaned up
     * before the retry; into anything else in one transaction, which a failure leaves untouched.
     */
    public RestoreMode mode(RunContext ctx) {
        RestoreMode mode = ctx.options().restoreMode();
        if (mode != RestoreMode.AUTO) {
            return mode;
        }
        return store.find(ctx.runId()).orElseThrow().destinationDisposable() ? RestoreMode.PARALLEL : RestoreMode.SINGLE_TRANSACTION;
    }

    /**
     * What the tools' sessions set whatever the destination database says: the source's database
     * settings are on it from the prepare stage, and a default of read-only transactions or a
     * statement timeout there must not stop the restore or the statistics.
     */
    static final Map<String, String> OWN_SESSION = Map.of("default_transaction_read_only", "off", "statement_timeout", "0");

    /** pg_restore's session settings: its own, the parallel restore's, with the job's on top ("default" leaves the server's value). */
    static Map<String, String> settings(JobConfig job, boolean parallel) {
        Map<String, String> settings = new TreeMap<>(OWN_SESSION);
        settings.putAll(parallel ? JobConfig.Restore.PARALLEL_SETTINGS : Map.of());
        settings.putAll(job.restore().settings());
        settings.values().removeIf(v -> v.equalsIgnoreCase("default"));
        return settings;
    }

    /**
     * After the restore: statistics for the planner (vacuumdb --analyze-only, on the restore's
     * parallel jobs), so the database is usable at full speed at once. False when switched off.
     */
    public boolean analyzeCommand(Exchange exchange) {
        RunContext ctx = contexts.of(exchange);
        String detail = exchange.getProperty(StageDetail.PROPERTY, String.class);
        if (!ctx.job().verify().analyze()) {
            return false;
        }
        List<String> args = List.of("--analyze-only", "--no-password",
                "--jobs=" + Math.max(2, ctx.options().restoreJobs()),
                "--dbname=" + ConnInfo.of(ctx.job().destination(), ctx.job().destination().database(),
                        passFiles.forRun(ctx.runId(), Half.IMPORT, ctx.job()), OWN_SESSION));
        ToolCall.set(exchange.getMessage(), tools.path("vacuumdb"), args);
        exchange.setProperty(StageDetail.PROPERTY, detail + ", analyzed");
        return true;
    }
}

package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.live.Half;

import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.DumpSequences;
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

/** The restore stage: pg_restore, atomic (single transaction) or parallel; then the statistics. */
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

    /** Exchange property: the list of the privileges a parallel restore grants afterwards, in one session. */
    static final String ACL_LIST = "CaravanRestoreAclList";
    /** The TOC lines of privileges: grants and default privileges. */
    private static final Pattern PRIVILEGES = Pattern.compile("^\\d+; \\d+ \\d+ (ACL|DEFAULT ACL) ");

    public void command(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        Path dump = ctx.deliveryDir().resolve(DeliveryFiles.DUMP);
        List<String> toc = DumpSequences.toc(tools.path("pg_restore"), dump, ctx.workDirMade());
        List<String> args = new ArrayList<>();
        String detail;
        boolean parallel = false;
        exchange.removeProperty(ACL_LIST);
        List<String> existing = ctx.job().conflicts() == JobConfig.ConflictMode.IGNORE ? prepareTarget.existingTables(ctx) : List.of();
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
            prepareTarget.cleanForParallelRestore(ctx);
            parallel = true;
            args.add("--jobs=" + ctx.options().restoreJobs());
            args.add("--exit-on-error");
            detail = ctx.options().restoreJobs() + " parallel jobs"
                    + (ctx.options().restoreMode() == RestoreMode.AUTO ? " (into a database this run created or found empty)" : "");
            if (!ctx.options().noOwner()) {
                detail += privilegesAfterwards(ctx, toc, args, exchange);
            }
        }
        args.add("--no-tablespaces");
        if (ctx.options().noOwner()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        }
        args.addAll(connection(ctx, parallel));
        args.add(dump.toString());
        ToolCall.set(exchange.getMessage(), tools.path("pg_restore"), args);
        exchange.setProperty(StageDetail.PROPERTY, detail);
        progress.start(ctx.runId(), "restore", toc.size(), "items");
    }

    /**
     * A parallel pg_restore grants privileges on several connections at once, in no set order,
     * so a grant in a chain (made as its grantor, who needs USAGE on the schema a grant before
     * gives) can run before the one it needs and fail. The parallel restore leaves them out; they
     * are granted afterwards in one session, in the dump's order ({@link #privilegesCommand}).
     */
    private String privilegesAfterwards(RunContext ctx, List<String> toc, List<String> args, Exchange exchange) throws IOException {
        List<String> privileges = toc.stream().filter(l -> PRIVILEGES.matcher(l).find()).toList();
        if (privileges.isEmpty()) {
            return "";
        }
        Path all = ctx.workDir().resolve("restore.list");
        Path acl = ctx.workDir().resolve("restore.privileges.list");
        Files.write(all, toc.stream().filter(l -> !PRIVILEGES.matcher(l).find()).toList(), StandardCharsets.UTF_8);
        Files.write(acl, privileges, StandardCharsets.UTF_8);
        args.add("--use-list=" + all);
        exchange.setProperty(ACL_LIST, acl.toString());
        return ", then " + privileges.size() + " privileges in one session";
    }

    /** After a parallel restore: its privileges, in one transaction and in the dump's order. False if it left none. */
    public boolean privilegesCommand(Exchange exchange) {
        String list = exchange.getProperty(ACL_LIST, String.class);
        if (list == null) {
            return false;
        }
        RunContext ctx = contexts.of(exchange);
        List<String> args = new ArrayList<>(List.of("--use-list=" + list, "--single-transaction", "--exit-on-error", "--no-tablespaces"));
        args.addAll(connection(ctx, false));
        args.add(ctx.deliveryDir().resolve(DeliveryFiles.DUMP).toString());
        ToolCall.set(exchange.getMessage(), tools.path("pg_restore"), args);
        exchange.getMessage().removeHeader(ExecBinding.EXEC_COMMAND_EXIT_VALUES);
        return true;
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

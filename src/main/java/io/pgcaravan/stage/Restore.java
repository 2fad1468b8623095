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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The restore stage's pg_restore command: atomic (single transaction) or parallel. */
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

    public void command(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        List<String> args = new ArrayList<>();
        String detail;
        boolean parallel = false;
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
        }
        args.add("--no-tablespaces");
        if (ctx.options().noOwner()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        }
        args.add("--no-password");
        args.add("--verbose");
        args.add("--dbname=" + ConnInfo.of(ctx.job().destination(), ctx.job().destination().database(),
                passFiles.forRun(ctx.runId(), Half.IMPORT, ctx.job()), settings(ctx.job(), parallel)));
        args.add(ctx.deliveryDir().resolve(DeliveryFiles.DUMP).toString());
        ToolCall.set(exchange.getMessage(), tools.path("pg_restore"), args);
        exchange.setProperty(StageDetail.PROPERTY, detail);
        progress.start(ctx.runId(), "restore", DumpSequences.toc(tools.path("pg_restore"), ctx.deliveryDir().resolve(DeliveryFiles.DUMP),
                ctx.deliveryDir()).size(), "items");
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

    /** pg_restore's session settings: the parallel restore's, with the job's on top ("default" leaves the server's value). */
    static Map<String, String> settings(JobConfig job, boolean parallel) {
        Map<String, String> settings = new TreeMap<>(parallel ? JobConfig.Restore.PARALLEL_SETTINGS : Map.of());
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
                        passFiles.forRun(ctx.runId(), Half.IMPORT, ctx.job())));
        ToolCall.set(exchange.getMessage(), tools.path("vacuumdb"), args);
        exchange.setProperty(StageDetail.PROPERTY, detail + ", analyzed");
        return true;
    }
}

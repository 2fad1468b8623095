package io.pgcaravan.stage;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.RestoreMode;
import org.apache.camel.component.exec.ExecBinding;
import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.run.Progress;
import io.pgcaravan.run.RunContext;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageTracker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.List;

/** The restore stage's pg_restore command: atomic (single transaction) or parallel. */
@ApplicationScoped
@Named("restoreCommand")
public class Restore {

    @Inject
    Runs runs;
    @Inject
    PassFiles passFiles;
    @Inject
    PgTools tools;
    @Inject
    PrepareTarget prepareTarget;
    @Inject
    Progress progress;

    public void command(Exchange exchange) throws Exception {
        RunContext ctx = runs.context(exchange);
        List<String> args = new ArrayList<>();
        String detail;
        List<String> existing = ctx.job().conflicts() == JobConfig.ConflictMode.IGNORE ? prepareTarget.existingTables(ctx) : List.of();
        if (!existing.isEmpty()) {
            // conflicts=ignore: pg_restore goes on past the objects that already exist (exit 1, errors
            // logged) and loads their rows; the verification tells whether the result matches
            exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_EXIT_VALUES, "0,1");
            detail = "into " + existing.size() + " existing tables (conflicts=ignore)";
        } else if (ctx.options().restoreMode() == RestoreMode.SINGLE_TRANSACTION) {
            // all or nothing: a failed restore leaves the destination as it was
            args.add("--single-transaction");
            args.add("--exit-on-error");
            detail = "single transaction";
        } else {
            prepareTarget.cleanForParallelRestore(ctx);
            args.add("--jobs=" + ctx.options().restoreJobs());
            args.add("--exit-on-error");
            detail = ctx.options().restoreJobs() + " parallel jobs";
        }
        args.add("--no-tablespaces");
        if (ctx.options().noOwner()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        }
        args.add("--no-password");
        args.add("--verbose");
        args.add("--dbname=" + ConnInfo.of(ctx.job().destination(), ctx.job().destination().database(),
                passFiles.forRun(ctx.runId(), PassFiles.Half.IMPORT, ctx.job())));
        args.add(ctx.deliveryDir().resolve(RunContext.DUMP).toString());
        ToolCall.set(exchange.getMessage(), tools.path("pg_restore"), args);
        exchange.setProperty(StageTracker.DETAIL, detail);
        progress.start(ctx.runId(), "restore", DumpSequences.toc(tools.path("pg_restore"), ctx.deliveryDir().resolve(RunContext.DUMP),
                ctx.deliveryDir()).size(), "items");
    }

    /**
     * After the restore: statistics for the planner (vacuumdb --analyze-only, on the restore's
     * parallel jobs), so the database is usable at full speed at once. False when switched off.
     */
    public boolean analyzeCommand(Exchange exchange) {
        RunContext ctx = runs.context(exchange);
        String detail = exchange.getProperty(StageTracker.DETAIL, String.class);
        if (!ctx.job().verify().analyze()) {
            return false;
        }
        List<String> args = List.of("--analyze-only", "--no-password",
                "--jobs=" + Math.max(1, ctx.options().restoreMode() == RestoreMode.PARALLEL ? ctx.options().restoreJobs() : 2),
                "--dbname=" + ConnInfo.of(ctx.job().destination(), ctx.job().destination().database(),
                        passFiles.forRun(ctx.runId(), PassFiles.Half.IMPORT, ctx.job())));
        ToolCall.set(exchange.getMessage(), tools.path("vacuumdb"), args);
        exchange.setProperty(StageTracker.DETAIL, detail + ", analyzed");
        return true;
    }
}

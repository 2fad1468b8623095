package io.pgcaravan.stage;

import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.run.RunContext;
import io.pgcaravan.run.Progress;
import io.pgcaravan.run.RunStore;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageTracker;
import jakarta.enterprise.context.ApplicationScoped;
import io.pgcaravan.run.CaravanMetrics;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * The dump stage's two halves around the pg_dump call: the command (pg_dump writes straight into
 * the staging directory, under a temporary name) and the rename that marks the dump complete.
 */
@ApplicationScoped
@Named("dumpCommand")
public class Dump {

    private static final String PARTIAL = RunContext.DUMP + ".partial";

    @Inject
    Runs runs;
    @Inject
    CaravanMetrics metrics;
    @Inject
    PassFiles passFiles;
    @Inject
    PgTools tools;
    @Inject
    Snapshots snapshots;
    @Inject
    Progress progress;
    @Inject
    RunStore store;

    public void command(Exchange exchange) throws Exception {
        RunContext ctx = runs.context(exchange);
        Staging.create(ctx.stagingDir());
        // a new dump needs a new manifest, in its snapshot
        store.stageReset(ctx.runId(), "manifest");
        Path partial = ctx.stagingDir().resolve(PARTIAL);
        FileTrees.delete(partial); // what an interrupted attempt left behind
        // a new dump needs a new checksum list and DONE marker
        Files.deleteIfExists(ctx.stagingDir().resolve(RunContext.CHECKSUMS));
        Files.deleteIfExists(ctx.stagingDir().resolve(RunContext.DONE));

        List<String> args = new ArrayList<>();
        args.add(ctx.options().dumpFormat() == DumpFormat.DIRECTORY ? "--format=directory" : "--format=custom");
        if (ctx.options().dumpFormat() == DumpFormat.DIRECTORY && ctx.options().dumpJobs() > 1) {
            args.add("--jobs=" + ctx.options().dumpJobs());
        }
        args.add("--no-tablespaces");
        args.add("--no-password");
        args.add("--verbose");
        args.add("--file=" + partial);
        // the snapshot the manifest is counted in, so both describe exactly the same data
        args.add("--snapshot=" + snapshots.id(ctx.runId()).orElseThrow());
        ObjectSelection selection = ObjectSelection.of(ctx.job().select());
        try (Connection c = PgConnections.open(ctx.job().source(), ctx.job().source().database())) {
            if (!selection.isEverything()) {
                // exact names from the catalog, so the dump holds exactly what the manifest counts
                args.addAll(selection.pgDumpArgs(Catalog.schemas(c), Catalog.relations(c)));
            }
            progress.start(ctx.runId(), "dump", selection.tables(Catalog.tables(c)).size(), "tables")
                    .measureBytesWith(() -> FileTrees.sizeOrZero(partial));
        }
        Path passfile = passFiles.forRun(ctx.runId(), PassFiles.Half.EXPORT, ctx.job());
        args.add("--dbname=" + ConnInfo.of(ctx.job().source(), ctx.job().source().database(), passfile));
        ToolCall.set(exchange.getMessage(), tools.path("pg_dump"), args);
    }

    /** pg_dump succeeded: the partial dump becomes the dump. */
    public void complete(Exchange exchange) throws IOException {
        RunContext ctx = runs.context(exchange);
        Path dump = ctx.stagingDir().resolve(RunContext.DUMP);
        FileTrees.delete(dump);
        Files.move(ctx.stagingDir().resolve(PARTIAL), dump, StandardCopyOption.ATOMIC_MOVE);
        long bytes = FileTrees.size(dump);
        metrics.dumped(ctx.jobName(), bytes);
        exchange.setProperty(StageTracker.DETAIL, FileTrees.humanBytes(bytes));
    }
}

package io.pgcaravan.stage;

import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.stage.dump.EarlyUpload;
import io.pgcaravan.stage.dump.Snapshots;
import io.pgcaravan.stage.io.FileTrees;
import io.pgcaravan.stage.io.Staging;
import io.pgcaravan.stage.io.ToolCall;

import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.track.Progress;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.sftp.LinkProbe;
import io.pgcaravan.sftp.SftpSessions;
import com.jcraft.jsch.ChannelSftp;
import jakarta.enterprise.context.ApplicationScoped;
import io.pgcaravan.track.CaravanMetrics;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

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
@Named("dump")
public class Dump {

    private static final Logger LOG = Logger.getLogger(Dump.class);
    private static final String PARTIAL = RunContext.DUMP + ".partial";
    /** Exchange property: the gzip level the dump was taken with. */
    static final String COMPRESSION = "CaravanDumpCompression";
    /** 50 MB/s, 400 Mbit/s: about what two pg_dump jobs produce at gzip level 1 here. */
    static final double FAST_LINK_BYTES_PER_SECOND = 50e6;

    @Inject
    RunContexts contexts;
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
    @Inject
    RunLog runLog;
    @Inject
    EarlyUpload earlyUpload;

    public void command(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
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
        int level;
        try (SftpSessions.Open open = SftpSessions.open(ctx.job().intermediate())) {
            // a new dump replaces whatever earlier attempts delivered
            earlyUpload.clearRemote(ctx, open.sftp());
            level = compression(ctx, open.sftp());
        }
        args.add("--compress=" + level);
        exchange.setProperty(COMPRESSION, level);
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
        // its table files go up as they complete
        earlyUpload.start(ctx, partial);
        Path passfile = passFiles.forRun(ctx.runId(), PassFiles.Half.EXPORT, ctx.job());
        args.add("--dbname=" + ConnInfo.of(ctx.job().source(), ctx.job().source().database(), passfile));
        ToolCall.set(exchange.getMessage(), tools.path("pg_dump"), args);
    }

    /**
     * The gzip level: the run's, or chosen from the link to the intermediate host. Where files go
     * up faster than {@link #FAST_LINK_BYTES_PER_SECOND}, compressing costs more time than it
     * saves (docs/benchmarks.md measures both); on a slower link level 1 gives most of gzip's
     * gain at a fraction of the default level's CPU.
     */
    private int compression(RunContext ctx, ChannelSftp sftp) throws Exception {
        if (ctx.options().dumpCompression() != null) {
            return ctx.options().dumpCompression();
        }
        long limit = ctx.job().intermediate().maxBytesPerSecond();
        if (limit > 0 && limit < FAST_LINK_BYTES_PER_SECOND) {
            return 1; // the configured bandwidth limit makes it a slow link
        }
        double rate = LinkProbe.bytesPerSecond(sftp, ctx.remoteDir());
        int level = rate >= FAST_LINK_BYTES_PER_SECOND ? 0 : 1;
        runLog.info(LOG, ctx.runId(), String.format("the link to %s takes %s/s: %s", ctx.job().intermediate().host(),
                FileTrees.humanBytes((long) rate), level == 0 ? "dump uncompressed" : "dump compressed with gzip level 1"));
        return level;
    }

    /** pg_dump succeeded: the partial dump becomes the dump. */
    public void complete(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        String early = earlyUpload.finish(ctx.runId()).map(s -> ", " + s).orElse("");
        Path dump = ctx.stagingDir().resolve(RunContext.DUMP);
        FileTrees.delete(dump);
        Files.move(ctx.stagingDir().resolve(PARTIAL), dump, StandardCopyOption.ATOMIC_MOVE);
        long bytes = FileTrees.size(dump);
        metrics.dumped(ctx.jobName(), bytes);
        Integer level = exchange.getProperty(COMPRESSION, Integer.class);
        exchange.setProperty(StageDetail.PROPERTY, FileTrees.humanBytes(bytes) + (level == null ? ""
                : level == 0 ? ", uncompressed" : ", gzip level " + level) + ", " + ctx.options().dumpJobs() + " jobs" + early);
    }
}

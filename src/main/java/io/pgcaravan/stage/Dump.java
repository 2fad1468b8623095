package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.live.Half;

import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.stage.dump.EarlyUpload;
import io.pgcaravan.stage.dump.PieceDump;
import io.pgcaravan.stage.dump.PiecePlan;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.stage.dump.Snapshots;
import io.pgcaravan.stage.io.FileTrees;
import io.pgcaravan.stage.io.Staging;
import io.pgcaravan.stage.io.ToolCall;

import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.pg.SnapshotReader;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.track.Progress;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.sftp.LinkProbe;
import io.pgcaravan.sftp.SftpClient;
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
 * The dump stage's steps around the pg_dump call: prepare (clear, probe the link), the command
 * (pg_dump writes straight into the staging directory, under a temporary name) and the rename
 * that marks the dump complete. The route shows them in order, with the early sending between.
 */
@ApplicationScoped
@Named("dump")
public class Dump {

    private static final Logger LOG = Logger.getLogger(Dump.class);
    private static final String PARTIAL = DeliveryFiles.DUMP_PARTIAL;
    /** Exchange property: the gzip level the dump was taken with. */
    static final String COMPRESSION = "CaravanDumpCompression";
    /** Exchange property: the zstd level its table files are sent with (0: none). */
    static final String ZSTD = io.pgcaravan.stage.dump.ZstdDump.PROPERTY;
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
    @Inject
    PiecePlan piecePlan;

    /**
     * Before pg_dump: the staging directory cleared of what an interrupted attempt left, the earlier
     * delivery on the intermediate host cleared (a new dump replaces it), and the gzip level chosen
     * from the link to it, all on one SFTP session.
     */
    public void prepare(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        earlyUpload.stop(ctx.runId()); // an earlier attempt's sender, before its directory is cleared
        Staging.create(ctx.stagingDir());
        // a new dump needs a new manifest, in its snapshot
        store.stageReset(ctx.runId(), "manifest");
        FileTrees.delete(ctx.stagingDir().resolve(PARTIAL)); // what an interrupted attempt left behind
        // a new dump needs a new checksum list and DONE marker
        Files.deleteIfExists(ctx.stagingDir().resolve(DeliveryFiles.CHECKSUMS));
        Files.deleteIfExists(ctx.stagingDir().resolve(DeliveryFiles.DONE));
        try (SftpClient.Open open = SftpClient.open(ctx.job().intermediate())) {
            // the marker first: no import half takes an earlier dump's delivery while this one replaces it
            Resend.withdraw(open.sftp(), ctx.remoteDir(), DeliveryFiles.CHECKSUMS, DeliveryFiles.MANIFEST, DeliveryFiles.ROLES);
            earlyUpload.clearRemote(ctx, open.sftp());
            Compression c = compression(ctx, open.sftp());
            exchange.setProperty(COMPRESSION, c.gzip());
            exchange.setProperty(ZSTD, c.zstd());
        }
    }

    /** The pg_dump command: into the staging directory under a temporary name, in the run's snapshot. */
    public void command(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        Path partial = ctx.stagingDir().resolve(PARTIAL);
        List<String> args = new ArrayList<>();
        args.add(ctx.options().dumpFormat() == DumpFormat.DIRECTORY ? "--format=directory" : "--format=custom");
        if (ctx.options().dumpFormat() == DumpFormat.DIRECTORY && ctx.options().dumpJobs() > 1) {
            args.add("--jobs=" + ctx.options().dumpJobs());
        }
        args.add("--compress=" + exchange.getProperty(COMPRESSION, Integer.class));
        args.add("--no-tablespaces");
        args.add("--no-password");
        args.add("--verbose");
        args.add("--file=" + partial);
        // the snapshot the manifest is counted in, so both describe exactly the same data
        args.add("--snapshot=" + snapshots.id(ctx.runId()).orElseThrow());
        ObjectSelection selection = ObjectSelection.of(ctx.job().select());
        // the catalog as pg_dump sees it, in the dump's snapshot: a column dropped or a table
        // renamed since the snapshot was taken must not change what the pieces copy or leave out
        try (Connection c = SnapshotReader.open(ctx.job().source(), ctx.job().source().database(), snapshots.id(ctx.runId()).orElseThrow())) {
            if (!selection.isEverything()) {
                // exact names from the catalog, so the dump holds exactly what the manifest counts
                args.addAll(selection.pgDumpArgs(Catalog.schemas(c), Catalog.relations(c)));
            }
            List<Catalog.Table> inScope = selection.tables(Catalog.tables(c));
            List<TablePieces> pieces = piecePlan.plan(ctx, c, inScope);
            args.addAll(PiecePlan.pgDumpArgs(pieces));
            exchange.setProperty(PieceDump.PROPERTY, pieces);
            exchange.setProperty(PieceDump.SNAPSHOT, snapshots.id(ctx.runId()).orElseThrow());
            progress.start(ctx.runId(), "dump", inScope.size(), "tables")
                    .measureBytesWith(() -> FileTrees.sizeOrZero(partial));
        }
        Path passfile = passFiles.forRun(ctx.runId(), Half.EXPORT, ctx.job());
        args.add("--dbname=" + ConnInfo.of(ctx.job().source(), ctx.job().source().database(), passfile));
        ToolCall.set(exchange.getMessage(), tools.path("pg_dump"), args);
    }

    /** pg_dump's gzip level and the zstd level of the table files on their way up (0: none). */
    record Compression(int gzip, int zstd) {
        String described() {
            return gzip > 0 ? "gzip level " + gzip : zstd > 0 ? "zstd level " + zstd + " as sent" : "uncompressed";
        }
    }

    /**
     * The run's gzip level or the job's zstd level, or chosen from the link to the intermediate
     * host. Where files go up faster than {@link #FAST_LINK_BYTES_PER_SECOND}, compressing costs
     * more time than it saves (docs/benchmarks.md measures both); on a slower link zstd level 1
     * (directory format; gzip level 1 for a custom-format dump, which pg_dump writes in one piece).
     */
    private Compression compression(RunContext ctx, ChannelSftp sftp) throws Exception {
        boolean directory = ctx.options().dumpFormat() == DumpFormat.DIRECTORY;
        Integer zstd = directory ? ctx.job().dump().zstdLevel().orElse(null) : Integer.valueOf(0);
        if (ctx.options().dumpCompression() != null) {
            int gzip = ctx.options().dumpCompression();
            return new Compression(gzip, gzip == 0 && zstd != null ? zstd : 0);
        }
        if (zstd != null && zstd > 0) {
            return new Compression(0, zstd);
        }
        long limit = ctx.job().intermediate().maxBytesPerSecond();
        boolean slow;
        String why;
        if (limit > 0 && limit < FAST_LINK_BYTES_PER_SECOND) {
            slow = true; // the configured bandwidth limit makes it a slow link
            why = "the bandwidth limit is " + FileTrees.humanBytes(limit) + "/s";
        } else {
            double rate = LinkProbe.bytesPerSecond(sftp, ctx.remoteDir());
            slow = rate < FAST_LINK_BYTES_PER_SECOND;
            why = "the link to " + ctx.job().intermediate().host() + " takes " + FileTrees.humanBytes((long) rate) + "/s";
        }
        Compression c = !slow ? new Compression(0, 0) : directory && zstd == null ? new Compression(0, 1) : new Compression(1, 0);
        runLog.info(LOG, ctx.runId(), why + ": dump " + c.described());
        return c;
    }

    /** pg_dump succeeded: the partial dump becomes the dump. */
    public void complete(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        String early = earlyUpload.finish(ctx.runId()).map(s -> ", " + s).orElse("");
        int zstd = exchange.getProperty(ZSTD, 0, Integer.class);
        if (zstd > 0) {
            earlyUpload.settle(ctx.runId(), ctx.stagingDir().resolve(PARTIAL), zstd);
        }
        Path dump = ctx.stagingDir().resolve(DeliveryFiles.DUMP);
        FileTrees.delete(dump);
        Files.move(ctx.stagingDir().resolve(PARTIAL), dump, StandardCopyOption.ATOMIC_MOVE);
        long bytes = FileTrees.size(dump);
        metrics.dumped(ctx.jobName(), bytes);
        Integer level = exchange.getProperty(COMPRESSION, Integer.class);
        List<?> pieces = exchange.getProperty(PieceDump.PROPERTY, List.of(), List.class);
        if (!pieces.isEmpty()) {
            early += ", " + pieces.size() + (pieces.size() == 1 ? " table" : " tables") + " in pieces";
        }
        exchange.setProperty(StageDetail.PROPERTY, FileTrees.humanBytes(bytes) + (level == null ? ""
                : ", " + new Compression(level, zstd).described()) + ", " + ctx.options().dumpJobs() + " jobs" + early);
    }
}

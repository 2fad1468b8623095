package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.DeliverySignature;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.Sha256;
import io.pgcaravan.delivery.SendingOrder;
import io.pgcaravan.stage.dump.EarlyUpload;
import io.pgcaravan.stage.io.CountingInputStream;
import io.pgcaravan.stage.io.FileTrees;
import io.pgcaravan.stage.io.ThrottledInputStream;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpException;
import io.pgcaravan.track.Progress;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.sftp.SftpClient;
import jakarta.enterprise.context.ApplicationScoped;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.track.CaravanMetrics;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Vector;

/**
 * The upload stage's bookkeeping: the checksum list and DONE marker that make a delivery, the
 * order files go up in (DONE last, so the import half never sees an incomplete delivery), and
 * what is already on the intermediate host from an earlier attempt, which is not sent again.
 */
@ApplicationScoped
@Named("upload")
public class Upload {

    private static final Logger LOG = Logger.getLogger(Upload.class);
    /** Header holding the job's SFTP address (user@host:port?options), for the route's toD "sftp://..." */
    public static final String SFTP_ADDRESS = "CaravanSftpAddress";

    @Inject
    RunContexts contexts;
    @Inject
    CaravanMetrics metrics;
    @Inject
    RunLog runLog;
    @Inject
    SftpClient sftpClient;
    @Inject
    Progress progress;
    @Inject
    EarlyUpload earlyUpload;
    @Inject
    io.pgcaravan.work.DeliveryKeys keys;

    /**
     * Returns the files still to upload, relative to the staging directory, DONE last. The first
     * attempt writes the SHA-256 list of the dump and manifest (sha256sum format, so
     * `sha256sum -c sha256` works on the intermediate host) and the DONE marker, which holds the
     * list's own SHA-256; later attempts reuse them (the dump does not change once taken).
     * Files already on the intermediate host under their final name with the same size are skipped:
     * a file only gets its final name once it is complete, and the import half checks every SHA-256.
     */
    public List<String> pending(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        Path staging = ctx.stagingDir();
        if (!Files.exists(staging.resolve(DeliveryFiles.DONE))) {
            seal(ctx.runId(), ctx.jobName(), staging);
        }
        List<String> order = new ArrayList<>();
        for (String line : Files.readAllLines(staging.resolve(DeliveryFiles.CHECKSUMS))) {
            order.add(line.split(" {2}", 2)[1]);
        }
        order.add(DeliveryFiles.CHECKSUMS);
        order.add(DeliveryFiles.DONE);

        // after a checksum failure on the host: those files again, whatever their size there
        java.util.Set<String> resend = Resend.pending(ctx.workDir()).orElse(null);
        Map<String, Long> remote = remoteSizes(ctx, resend != null);
        List<String> pending = new ArrayList<>();
        long bytes = 0;
        for (String f : order) {
            long size = Files.size(staging.resolve(f));
            bytes += size;
            if (!Long.valueOf(size).equals(remote.get(f)) || resend != null && Resend.includes(resend, f)) {
                pending.add(f);
            }
        }
        if (resend != null) {
            runLog.info(LOG, ctx.runId(), String.format("sending %d files again after the delivery failed its checksums", pending.size()));
        }
        long pendingBytes = 0;
        for (String f : pending) {
            pendingBytes += Files.size(staging.resolve(f));
        }
        progress.start(ctx.runId(), "upload", pending.size(), "files").totalBytes(pendingBytes);
        if (pending.size() < order.size()) {
            runLog.info(LOG, ctx.runId(), String.format("%d of %d files already on the intermediate host, not sent again", order.size() - pending.size(), order.size()));
        }
        exchange.setProperty(StageDetail.PROPERTY, order.size() + " files, " + FileTrees.humanBytes(bytes)
                + (pending.size() < order.size() ? " (" + (order.size() - pending.size()) + " already there)" : ""));
        return pending;
    }

    /** The checksum list, then the DONE marker: the list's SHA-256, signed for this run and job (DeliverySignature). */
    private void seal(String runId, String job, Path staging) throws IOException {
        // in the order they go up: what a restore needs before any table's data first (the roles,
        // the manifest, the table of contents), so that a pipelined restore can begin
        List<Path> payload = new ArrayList<>();
        if (Files.exists(staging.resolve(DeliveryFiles.ROLES))) {
            payload.add(Path.of(DeliveryFiles.ROLES));
        }
        payload.add(Path.of(DeliveryFiles.MANIFEST));
        // then the dump's files, the largest table first (SendingOrder)
        java.util.Map<Path, Long> sizes = new java.util.HashMap<>();
        for (Path p : FileTrees.files(staging, staging.resolve(DeliveryFiles.DUMP))) {
            sizes.put(p, Files.size(staging.resolve(p)));
        }
        payload.addAll(SendingOrder.of(sizes));
        StringBuilder list = new StringBuilder();
        for (Path p : payload) {
            // files sent while dumping were hashed on their way up (if unchanged since)
            String sha = earlyUpload.checksum(runId, staging, p.toString()).orElse(null);
            list.append(sha != null ? sha : Sha256.of(staging.resolve(p))).append("  ").append(p).append('\n');
        }
        Path checksums = staging.resolve(DeliveryFiles.CHECKSUMS);
        Files.writeString(checksums, list, StandardCharsets.UTF_8);
        Files.writeString(staging.resolve(DeliveryFiles.DONE), DeliverySignature.done(keys.signing(), runId, job, Sha256.of(checksums)));
        earlyUpload.forget(runId);
    }

    /**
     * Sizes of the files of the run's delivery already on the intermediate host, by relative name;
     * for a resend, its DONE marker and the import half's verdict withdrawn first.
     */
    private static Map<String, Long> remoteSizes(RunContext ctx, boolean resend) throws Exception {
        Map<String, Long> sizes = new HashMap<>();
        try (SftpClient.Open open = SftpClient.open(ctx.job().intermediate())) {
            if (resend) {
                Resend.withdraw(open.sftp(), ctx.remoteDir());
            }
            collect(open.sftp(), ctx.remoteDir(), "", sizes);
        }
        return sizes;
    }

    private static void collect(ChannelSftp sftp, String dir, String prefix, Map<String, Long> sizes) throws SftpException {
        Vector<ChannelSftp.LsEntry> entries;
        try {
            entries = sftp.ls(dir);
        } catch (SftpException e) {
            if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                return; // nothing delivered yet
            }
            throw e;
        }
        for (ChannelSftp.LsEntry e : entries) {
            String name = e.getFilename();
            if (name.equals(".") || name.equals("..")) {
                continue;
            }
            if (e.getAttrs().isDir()) {
                collect(sftp, dir + "/" + name, prefix + name + "/", sizes);
            } else {
                sizes.put(prefix + name, e.getAttrs().getSize());
            }
        }
    }

    /** Every file is on the intermediate host: a resend asked for is done. */
    public void sent(Exchange exchange) throws IOException {
        Resend.sent(contexts.of(exchange).workDir());
    }

    /** Sets up one file of the delivery for the SFTP producer: its content (throttled if configured) and remote name. */
    public void file(Exchange exchange) throws IOException {
        RunContext ctx = contexts.of(exchange);
        String relative = exchange.getMessage().getBody(String.class);
        exchange.getMessage().setHeader(Exchange.FILE_NAME, ctx.remoteDir() + "/" + relative);
        exchange.getMessage().setHeader(SFTP_ADDRESS, sftpClient.address(ctx.jobName()));
        InputStream in = ThrottledInputStream.of(ctx.job().intermediate(), Files.newInputStream(ctx.stagingDir().resolve(relative)));
        Progress.Counter counter = progress.of(ctx.runId(), "upload").orElseGet(() -> progress.start(ctx.runId(), "upload", 0, "files"));
        exchange.getMessage().setBody(new CountingInputStream(in, counter, n -> metrics.uploaded(ctx.jobName(), n)));
    }
}

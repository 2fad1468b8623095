package io.pgcaravan.stage.dump;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.delivery.Zstd;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;

import io.pgcaravan.work.RunContexts;

import io.pgcaravan.stage.io.ThrottledInputStream;

import io.pgcaravan.stage.io.CountingInputStream;

import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.track.CaravanMetrics;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.sftp.SftpClient;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Sends a directory-format dump's table files to the intermediate host while pg_dump writes them,
 * so that the link is busy from the dump's first seconds and the upload stage afterwards has little
 * more than the table of contents, the manifest and the markers left to send. Files pg_dump has
 * closed go first; otherwise the sender follows the largest file still being written as it grows
 * ({@link GrowingFileStream}), so a slow link carries a table's bytes while the table is dumped.
 * A file's SHA-256 is computed on the way and kept with its size and modification time, which the
 * seal checks before trusting it. Sending early is a head start, not a stage: a failure here only
 * stops it, and the upload stage, with its retry window, sends whatever is not on the intermediate
 * host yet.
 * <p>
 * Longer than 250 lines because the sender thread, the records of what it sent that the seal
 * trusts, and the start / finish / stop protocol around pg_dump share one state: apart, each would
 * reach into the other (what zstd adds lives in {@link ZstdDump}). The same records give a
 * pipelined restore the SHA-256 each early piece must have; what it needs first (the roles, the
 * table of contents and the manifest) goes beside the table files ({@link MetadataSender}).
 */
@ApplicationScoped
@Named("earlyUpload")
public class EarlyUpload {

    private static final Logger LOG = Logger.getLogger(EarlyUpload.class);
    private static final long POLL_MS = 100;

    @Inject
    RunContexts contexts;
    @Inject
    SftpClient sftpClient;
    @Inject
    ProducerTemplate template;
    @Inject
    RunLog runLog;
    @Inject
    CaravanMetrics metrics;

    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "early-upload");
        t.setDaemon(true);
        return t;
    });
    @Inject
    ActiveRuns activeRuns;

    /** The run's part while it sends: the sender thread. */
    private static final String SENDER = "early-sender";
    /** The run's part until its delivery is sealed: what went up early, by relative path. */
    private static final String SENT = "early-sent";

    /**
     * The route's step: starts sending the run's dump directory as pg_dump completes its files
     * (directory format, on Linux).
     */
    public void start(Exchange exchange) {
        RunContext ctx = contexts.of(exchange);
        start(ctx, ctx.stagingDir().resolve(DeliveryFiles.DUMP_PARTIAL), exchange.getProperty(ZstdDump.PROPERTY, 0, Integer.class));
    }

    private void start(RunContext ctx, Path partial, int zstd) {
        stop(ctx.runId());
        if (ctx.options().dumpFormat() != DumpFormat.DIRECTORY || !OpenFiles.supported()) {
            return;
        }
        Sender sender = new Sender(ctx, partial, zstd);
        sender.future = threads.submit(() -> {
            sender.run();
            return null;
        });
        activeRuns.hold(ctx.runId(), Half.EXPORT, SENDER, sender, () -> cancel(sender));
    }

    /**
     * pg_dump has succeeded: lets the file being sent finish, stops, and tells how many went up
     * while it ran. The upload stage sends the rest. Never fails: sending early is only a head start.
     */
    public Optional<String> finish(String runId) throws InterruptedException {
        Sender sender = activeRuns.find(runId).flatMap(r -> r.take(SENDER, Sender.class)).orElse(null);
        if (sender == null) {
            return Optional.empty();
        }
        synchronized (sender) {
            sender.finishing = true;
            if (sender.metadata != null) {
                sender.metadata.finishing = true;
            }
        }
        try {
            sender.future.get();
            if (sender.metadataFuture != null) {
                // (the upload stage must not send a file this one is still writing there)
                sender.metadataFuture.get();
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
            // logged by the sender
        }
        // (the table files only: the roles, TOC and manifest sent ahead are in the same record)
        int n = (int) sender.sent.keySet().stream().filter(k -> k.startsWith(DeliveryFiles.DUMP + "/") && !k.endsWith("/toc.dat")).count();
        return Optional.of(n + (n == 1 ? " table file" : " table files") + " sent while dumping");
    }

    /**
     * The import half restores while the delivery arrives (PipelinedRestore): what it needs first,
     * the roles, the table of contents (pg_dump closes it before the first table's data) and the
     * manifest once written, goes on a session of its own beside the table files, each as it is,
     * uncompressed, rather than behind the table file being followed as it grows.
     */
    public void sendMetadataFirst(String runId) {
        activeRuns.part(runId, SENDER, Sender.class).ifPresent(s -> {
            synchronized (s) {
                if (s.metadata != null || s.finishing) {
                    return;
                }
                s.metadata = new MetadataSender(s.ctx, s.dir, s.sent, n -> metrics.uploaded(s.ctx.jobName(), n), s.startedMillis);
                s.metadataFuture = threads.submit(() -> {
                    try {
                        long began = System.currentTimeMillis();
                        if (s.metadata.run()) {
                            runLog.info(LOG, s.ctx.runId(), String.format("the roles, table of contents and manifest went up ahead of the "
                                    + "table files, %.1f s after the dump began", (System.currentTimeMillis() - began) / 1000.0));
                        }
                    } catch (InterruptedException | java.io.InterruptedIOException e) {
                        Thread.currentThread().interrupt();
                    } catch (Exception e) {
                        runLog.warn(LOG, s.ctx.runId(), "sending the roles, table of contents and manifest ahead stopped "
                                + "(the upload stage sends them): " + e.getMessage());
                    } finally {
                        s.metadataEnded.countDown();
                    }
                    return null;
                });
            }
        });
    }

    /**
     * The SHA-256 of the bytes that went up under {@code relative} (dump/..., roles.sql,
     * manifest.json) while pg_dump ran, whatever has become of the local file since: what a copy
     * of that file at the intermediate host must hash to.
     */
    public Optional<String> sentChecksum(String runId, String relative) {
        return activeRuns.part(runId, SENT, Map.class).map(m -> m.get(relative)).map(s -> ((SentFile) s).sha256());
    }

    /** Stops sending (the dump failed or is taken again); what was sent is replaced by the next dump. */
    public void stop(String runId) {
        activeRuns.find(runId).ifPresent(r -> r.release(SENDER));
    }

    private static void cancel(Sender sender) {
        synchronized (sender) {
            sender.finishing = true;
            if (sender.metadataFuture != null) {
                sender.metadataFuture.cancel(true);
            }
        }
        sender.future.cancel(true);
        try {
            // (get() of a cancelled future returns at once: wait for the thread itself, which may
            // still be writing in the dump directory a retry is about to clear; and for the
            // metadata's, which must not rename a file into place after a retry withdrew it)
            sender.ended.await(30, TimeUnit.SECONDS);
            if (sender.metadata != null) {
                sender.metadataEnded.await(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The SHA-256 computed while sending {@code relative} (dump/...), if the local file is still exactly what was sent. */
    public Optional<String> checksum(String runId, Path staging, String relative) throws IOException {
        SentFile s = sent(runId).get(relative);
        if (s == null) {
            return Optional.empty();
        }
        Path file = staging.resolve(relative);
        boolean same = Files.size(file) == s.size() && Files.getLastModifiedTime(file).toMillis() == s.mtimeMillis();
        return same ? Optional.of(s.sha256()) : Optional.empty();
    }

    /** Forgets a run's records once its delivery is sealed. */
    public void forget(String runId) {
        activeRuns.find(runId).ifPresent(r -> r.release(SENT));
    }

    /** What went up early for the run (the export half holds it until the delivery is sealed). */
    @SuppressWarnings("unchecked")
    private Map<String, SentFile> sent(String runId) {
        return activeRuns.holdIfAbsent(runId, Half.EXPORT, SENT, Map.class, ConcurrentHashMap::new, m -> () -> { });
    }

    private final class Sender {
        final RunContext ctx;
        final Path dir;
        final int zstd;
        final Map<String, SentFile> sent = new ConcurrentHashMap<>();
        final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        /** Each file is sent once at most here (one not recorded as sent is the upload stage's). */
        final java.util.Set<String> tried = new java.util.HashSet<>();
        volatile boolean finishing;
        /** The roles, TOC and manifest on a session of their own, for a pipelined restore (null: with the rest). */
        volatile MetadataSender metadata;
        Future<?> metadataFuture;
        final java.util.concurrent.CountDownLatch metadataEnded = new java.util.concurrent.CountDownLatch(1);
        final long startedMillis = System.currentTimeMillis();
        Future<?> future;

        Sender(RunContext ctx, Path dir, int zstd) {
            this.ctx = ctx;
            this.dir = dir;
            this.zstd = zstd;
            activeRuns.hold(ctx.runId(), Half.EXPORT, SENT, sent, () -> { });
        }

        void run() {
            try {
                // it stops with pg_dump (after the file it is sending): what is left goes in the upload
                // stage, which a restart resumes; sending it here instead kept the link as busy
                // (about 1 s less at 100 Mbit/s) but made a kill in that time cost a new dump
                while (!finishing && !Thread.currentThread().isInterrupted()) {
                    if (!sendCompleted()) {
                        Thread.sleep(POLL_MS);
                    }
                }
            } catch (InterruptedException | java.io.InterruptedIOException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // a dropped link or a full disk there: the upload stage sends the rest, with its retries
                runLog.warn(LOG, ctx.runId(), "sending table files during the dump stopped (the upload stage sends the rest): "
                        + e.getMessage());
            } finally {
                ended.countDown();
            }
        }

        /** Sends the next file: one pg_dump has closed, else the largest it is writing. */
        private boolean sendCompleted() throws Exception {
            if (finishing || !Files.isDirectory(dir)) {
                return false;
            }
            var open = OpenFiles.under(dir);
            Path closed = null;
            Path growing = null;
            long growingSize = -1;
            // (of the closed ones, a piece of a table whose other pieces went up first: its
            // indexes wait for its last piece, see SendingOrder)
            Set<String> begun = new HashSet<>();
            tried.forEach(t -> begun.add(TablePieces.tableOf(t)));
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.dat*")) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (name.startsWith("toc.") || !ZstdDump.raw(name) || tried.contains(name)) {
                        continue;
                    }
                    if (!open.contains(OpenFiles.real(f))) {
                        if (closed == null || begun.contains(TablePieces.tableOf(name))) {
                            closed = f;
                        }
                        continue;
                    }
                    long size = Files.size(f);
                    if (size > growingSize) {
                        growing = f;
                        growingSize = size;
                    }
                }
            }
            Path next = closed != null ? closed : growing;
            if (next != null) {
                tried.add(next.getFileName().toString());
                send(next, DeliveryFiles.DUMP + "/" + next.getFileName(), zstd > 0);
            }
            return next != null;
        }

        /**
         * Sends one file as it grows; with zstd, compressed on its way, the compressed bytes kept
         * beside it under its name plus .zst (what the delivery holds). pg_dump's file stays until
         * the dump has succeeded ({@link #settle}).
         */
        private void send(Path file, String relative, boolean compress) throws Exception {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Path kept = compress ? file.resolveSibling(file.getFileName() + Zstd.SUFFIX) : file;
            Path keeping = file.resolveSibling(file.getFileName() + Zstd.SUFFIX + ZstdDump.PARTIAL_SUFFIX);
            String remote = compress ? relative + Zstd.SUFFIX : relative;
            long[] hashed = {0};
            GrowingFileStream[] growing = {null};
            try (InputStream in = ThrottledInputStream.of(ctx.job().intermediate(), new DigestInputStream(
                    payload(file, keeping, growing, compress), digest))) {
                Exchange result = template.send(sftpClient.uri(ctx.jobName()), ex -> {
                    ex.getMessage().setHeader(Exchange.FILE_NAME, ctx.remoteDir() + "/" + remote);
                    ex.getMessage().setBody(new CountingInputStream(in, null, n -> {
                        hashed[0] += n;
                        metrics.uploaded(ctx.jobName(), n);
                    }));
                });
                if (result.getException() != null) {
                    throw result.getException();
                }
            } catch (Exception e) {
                Files.deleteIfExists(keeping); // the dump stage compresses the file when pg_dump is done
                throw e;
            }
            if (compress) {
                Files.move(keeping, kept, StandardCopyOption.ATOMIC_MOVE);
            }
            // the file's time once it was read to its end after its writer closed it; the seal
            // trusts this checksum only while size and time are still these, and only for what was hashed whole
            long mtime = Files.getLastModifiedTime(kept).toMillis();
            if (Files.size(kept) == hashed[0]) {
                sent.put(remote, new SentFile(hashed[0], mtime, HexFormat.of().formatHex(digest.digest()), growing[0].bytesRead()));
            }
        }

        /** What goes up of pg_dump's file: it as it grows, or compressed as it grows and kept (zstd). */
        private InputStream payload(Path file, Path keeping, GrowingFileStream[] growing, boolean compress) throws IOException {
            growing[0] = new GrowingFileStream(file, () -> finishing);
            if (!compress) {
                return growing[0];
            }
            try {
                return Zstd.compressing(growing[0], zstd, Files.newOutputStream(keeping, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
            } catch (IOException | RuntimeException e) {
                growing[0].close();
                throw e;
            }
        }
    }

    /** pg_dump has succeeded: the zstd copies of its data files made or checked ({@link ZstdDump#settle}). */
    public void settle(String runId, Path dir, int level) throws IOException {
        ZstdDump.settle(sent(runId), dir, level);
    }

    /** Removes what earlier dumps of the run delivered: a new dump replaces all of it. */
    public void clearRemote(RunContext ctx, ChannelSftp sftp) throws SftpException {
        try {
            // sent early too now (for a pipelined restore): an earlier dump's must not pass for this one's
            sftp.rm(ctx.remoteDir() + "/" + DeliveryFiles.MANIFEST);
        } catch (SftpException e) {
            if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                throw e;
            }
        }
        String dumpDir = ctx.remoteDir() + "/" + DeliveryFiles.DUMP;
        List<ChannelSftp.LsEntry> entries;
        try {
            entries = sftp.ls(dumpDir);
        } catch (SftpException e) {
            if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                return;
            }
            throw e;
        }
        int removed = 0;
        for (ChannelSftp.LsEntry e : entries) {
            if (!e.getAttrs().isDir()) {
                sftp.rm(dumpDir + "/" + e.getFilename());
                removed++;
            }
        }
        if (removed > 0) {
            runLog.info(LOG, ctx.runId(), String.format("removed %d files an earlier dump of this run left on the intermediate host", removed));
        }
    }
}

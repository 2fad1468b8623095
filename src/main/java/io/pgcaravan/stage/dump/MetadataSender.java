package io.pgcaravan.stage.dump;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpATTRS;
import com.jcraft.jsch.SftpException;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.sftp.SftpClient;
import io.pgcaravan.stage.io.ThrottledInputStream;
import io.pgcaravan.work.RunContext;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * What a pipelined restore needs first (the roles, the table of contents, the manifest), sent on an
 * SSH session of its own beside the table files, each as soon as it is whole: the manifest is
 * written a moment after pg_dump has begun, and the table sender by then follows a table file as
 * it grows, which on a slow link is minutes; behind it the restore could not begin before the
 * largest table had crossed the link. Each file is written under the SFTP endpoint's temporary
 * name and mode and renamed once whole, as the endpoint does.
 */
final class MetadataSender {

    private static final long POLL_MS = 50;

    private final RunContext ctx;
    private final Path dump;
    private final Map<String, SentFile> sent;
    private final LongConsumer uploaded;
    private final long startedMillis;
    volatile boolean finishing;

    MetadataSender(RunContext ctx, Path dump, Map<String, SentFile> sent, LongConsumer uploaded, long startedMillis) {
        this.ctx = ctx;
        this.dump = dump;
        this.sent = sent;
        this.uploaded = uploaded;
        this.startedMillis = startedMillis;
    }

    /**
     * Until the three are sent; once pg_dump is done, what is whole by then (the dump stage waits
     * for the manifest before it ends) and no more: the upload stage sends what is left. True once
     * all are sent.
     */
    boolean run() throws Exception {
        List<String> left = new ArrayList<>(List.of(DeliveryFiles.ROLES, DeliveryFiles.DUMP + "/toc.dat", DeliveryFiles.MANIFEST));
        if (!Files.exists(ctx.stagingDir().resolve(DeliveryFiles.ROLES))) {
            left.remove(DeliveryFiles.ROLES); // (a job that moves no roles)
        }
        SftpClient.Open open = null;
        try {
            while (!left.isEmpty() && !Thread.currentThread().isInterrupted()) {
                String next = left.stream().filter(this::whole).findFirst().orElse(null);
                if (next == null && finishing) {
                    break;
                }
                if (next == null) {
                    Thread.sleep(POLL_MS);
                    continue;
                }
                if (open == null) {
                    open = SftpClient.open(ctx.job().intermediate());
                }
                send(open.sftp(), next);
                left.remove(next);
            }
        } finally {
            if (open != null) {
                open.close();
            }
        }
        return left.isEmpty();
    }

    /** Whether the file is there and will not change: pg_dump has closed the TOC; the others are moved into place whole. */
    private boolean whole(String relative) {
        Path f = local(relative);
        try {
            if (!Files.isRegularFile(f)) {
                return false;
            }
            if (relative.equals(DeliveryFiles.MANIFEST)) {
                // a manifest from before this dump is not this dump's: the manifest stage writes it anew
                return Files.getLastModifiedTime(f).toMillis() >= startedMillis;
            }
            return !relative.startsWith(DeliveryFiles.DUMP + "/") || !OpenFiles.under(dump).contains(OpenFiles.real(f));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private Path local(String relative) {
        return relative.startsWith(DeliveryFiles.DUMP + "/")
                ? dump.resolve(relative.substring(DeliveryFiles.DUMP.length() + 1))
                : ctx.stagingDir().resolve(relative);
    }

    private void send(ChannelSftp sftp, String relative) throws Exception {
        Path file = local(relative);
        String target = ctx.remoteDir() + "/" + relative;
        String dir = target.substring(0, target.lastIndexOf('/'));
        String temp = dir + "/" + SftpClient.TEMP_PREFIX + target.substring(target.lastIndexOf('/') + 1);
        boolean group = ctx.job().intermediate().groupAccess();
        mkdirs(sftp, dir, group ? 0770 : 0700);
        // whatever lies under the temporary name goes first (a link there would be written through)
        remove(sftp, temp);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long size = Files.size(file);
        long mtime = Files.getLastModifiedTime(file).toMillis();
        long[] read = {0};
        try (InputStream in = new io.pgcaravan.stage.io.CountingInputStream(ThrottledInputStream.of(ctx.job().intermediate(),
                new DigestInputStream(Files.newInputStream(file), digest)), null, n -> read[0] += n)) {
            sftp.put(in, temp, ChannelSftp.OVERWRITE);
        }
        sftp.chmod(group ? 0640 : 0600, temp);
        remove(sftp, target);
        sftp.rename(temp, target);
        uploaded.accept(read[0]);
        // trusted only for what was hashed whole, as it was before reading (else the upload stage sends it again)
        if (read[0] == size && Files.size(file) == size && Files.getLastModifiedTime(file).toMillis() == mtime) {
            sent.put(relative, new SentFile(size, mtime, HexFormat.of().formatHex(digest.digest()), size));
        }
    }

    private static void remove(ChannelSftp sftp, String path) throws SftpException {
        try {
            sftp.rm(path);
        } catch (SftpException e) {
            if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                throw e;
            }
        }
    }

    /** The remote directories down to {@code dir}; one the table sender made meanwhile is fine. */
    private static void mkdirs(ChannelSftp sftp, String dir, int mode) throws SftpException {
        if (exists(sftp, dir)) {
            return;
        }
        int slash = dir.lastIndexOf('/');
        if (slash > 0) {
            mkdirs(sftp, dir.substring(0, slash), mode);
        }
        try {
            sftp.mkdir(dir);
            sftp.chmod(mode, dir);
        } catch (SftpException e) {
            if (!exists(sftp, dir)) {
                throw e;
            }
        }
    }

    private static boolean exists(ChannelSftp sftp, String dir) throws SftpException {
        try {
            SftpATTRS a = sftp.lstat(dir);
            return a.isDir();
        } catch (SftpException e) {
            if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                return false;
            }
            throw e;
        }
    }
}

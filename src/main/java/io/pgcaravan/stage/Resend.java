package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A delivery that failed its checksums on the intermediate host is sent again, not merely checked
 * again: the checksum stage records which files were damaged or missing
 * ({@code <work>/checksum.damaged}; a split import agent passes them on in result.json), a resume
 * turns that into {@code <work>/upload.resend}, and the upload stage sends those files again from
 * the staging copy whatever their size on the host, with the checksum list and the DONE marker.
 * {@code *} resends everything (a new dump, or a failure that named no file). Both files are
 * plain lists in the run's work directory, for a DBA to read.
 */
public final class Resend {

    static final String DAMAGED = "checksum.damaged";
    static final String RESEND = "upload.resend";
    public static final String ALL = "*";
    /** What the import half wrote into the delivery: gone before a file is sent again, so the delivery is new to it. */
    private static final List<String> VERDICT = List.of(DeliveryFiles.DONE, DeliveryFiles.RESULT, DeliveryFiles.STATUS,
            DeliveryFiles.REPORT_JSON, DeliveryFiles.REPORT_HTML);

    private Resend() {
    }

    /** The checksum stage found these files damaged or missing (none named: everything is sent again). */
    public static void damaged(Path workDir, Collection<String> names) throws IOException {
        write(workDir, DAMAGED, names.isEmpty() ? List.of(ALL) : names);
    }

    /** The damaged files of the run's last checksum failure (empty: none recorded). */
    public static Set<String> damaged(Path workDir) throws IOException {
        return read(workDir.resolve(DAMAGED)).orElse(Set.of());
    }

    public static void forgetDamaged(Path workDir) throws IOException {
        Files.deleteIfExists(workDir.resolve(DAMAGED));
    }

    /** The next upload sends these files again (ALL: every file); the checksum list and DONE always. */
    public static void mark(Path workDir, Collection<String> names) throws IOException {
        write(workDir, RESEND, names.isEmpty() ? List.of(ALL) : names);
        forgetDamaged(workDir);
    }

    /** The files the upload must send again, if a resume asked for it. */
    public static Optional<Set<String>> pending(Path workDir) throws IOException {
        return read(workDir.resolve(RESEND));
    }

    /** Whether a file is sent again: named, or everything is, or it is the list or the marker. */
    public static boolean includes(Set<String> resend, String name) {
        return resend.contains(ALL) || resend.contains(name)
                || name.equals(DeliveryFiles.CHECKSUMS) || name.equals(DeliveryFiles.DONE);
    }

    /** The files went up again: the next attempt sends only what is missing. */
    public static void sent(Path workDir) throws IOException {
        Files.deleteIfExists(workDir.resolve(RESEND));
    }

    /**
     * Removes the DONE marker (first: no import half takes the delivery while files change under
     * it) and the import half's result, status and reports from the delivery on the host, then
     * any more files named.
     */
    public static void withdraw(ChannelSftp sftp, String remoteDir, String... more) throws SftpException {
        List<String> names = new java.util.ArrayList<>(VERDICT);
        names.addAll(List.of(more));
        for (String name : names) {
            try {
                sftp.rm(remoteDir + "/" + name);
            } catch (SftpException e) {
                if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                    throw e;
                }
            }
        }
    }

    private static void write(Path workDir, String file, Collection<String> names) throws IOException {
        Files.createDirectories(workDir);
        Files.writeString(workDir.resolve(file), String.join("\n", new LinkedHashSet<>(names)) + "\n", StandardCharsets.UTF_8);
    }

    private static Optional<Set<String>> read(Path file) throws IOException {
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Set<String> names = new LinkedHashSet<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        return Optional.of(names);
    }
}

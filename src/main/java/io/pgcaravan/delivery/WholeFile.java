package io.pgcaravan.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes a file of a delivery whole: under {@link DeliveryFiles#WRITING_PREFIX} first, renamed
 * over the file when complete, so a reader (the import half, an export agent over SFTP, a DBA)
 * never sees half of it. The drop directory is writable by the SFTP account, so nothing found
 * there is written through: the temporary name is new and random and created exclusively
 * (CREATE_NEW fails on anything already there, a planted symbolic link included), the rename
 * replaces whatever has the final name (a link itself, never what it points to), and a
 * directory that is a link is refused.
 */
public final class WholeFile {

    private WholeFile() {
    }

    public static void write(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (Files.isSymbolicLink(dir)) {
            throw new IOException("refusing to write " + file.getFileName() + " into " + dir + ": it is a symbolic link");
        }
        Path tmp = dir.resolve(DeliveryFiles.WRITING_PREFIX + file.getFileName() + "." + UUID.randomUUID());
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

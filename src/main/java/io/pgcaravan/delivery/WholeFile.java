package io.pgcaravan.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file of a delivery whole: under {@link DeliveryFiles#WRITING_PREFIX} first, renamed
 * over the file when complete, so a reader (the import half, an export agent over SFTP, a DBA)
 * never sees half of it.
 */
public final class WholeFile {

    private WholeFile() {
    }

    public static void write(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(DeliveryFiles.WRITING_PREFIX + file.getFileName());
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

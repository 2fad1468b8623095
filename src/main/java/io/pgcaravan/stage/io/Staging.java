package io.pgcaravan.stage.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** The run's staging directory and the private files in it: the dump holds the whole database. */
public final class Staging {

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private Staging() {
    }

    public static void create(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, OWNER_ONLY_DIR);
        }
    }

    /** An empty file only its owner can read, for a tool to write into (it keeps the mode). */
    public static Path privateFile(Path file) throws IOException {
        Files.deleteIfExists(file);
        return Files.createFile(file, OWNER_ONLY_FILE);
    }
}

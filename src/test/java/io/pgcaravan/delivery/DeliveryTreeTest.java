package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Deleting inside a delivery never follows a link the SFTP account swapped in, at any depth. */
class DeliveryTreeTest {

    @TempDir
    Path tmp;

    @Test
    void deletesListedFilesAndTheEmptiedDumpDirectory() throws Exception {
        Path drop = Files.createDirectories(tmp.resolve("drop"));
        Path run = Files.createDirectories(drop.resolve("job-1/dump"));
        Files.writeString(run.resolve("1.dat"), "x");
        Files.writeString(drop.resolve("job-1/roles.sql"), "x");
        Files.writeString(drop.resolve("job-1/manifest.json"), "{}");

        int deleted = DeliveryTree.deleteInside(drop, "job-1", List.of("dump/1.dat", "roles.sql", "dump", "missing", "dump/nope"));

        assertThat(deleted).isEqualTo(3);
        assertThat(drop.resolve("job-1")).isDirectory();
        assertThat(drop.resolve("job-1/dump")).doesNotExist();
        assertThat(drop.resolve("job-1/manifest.json")).exists();
    }

    @Test
    void aDirectorySwappedForALinkLeadsNowhere() throws Exception {
        Path drop = Files.createDirectories(tmp.resolve("drop"));
        Path elsewhere = Files.createDirectories(tmp.resolve("work/other-run/delivery/dump"));
        Files.writeString(elsewhere.resolve("1.dat"), "keep");
        Files.writeString(elsewhere.getParent().resolve("roles.sql"), "keep");
        // the run's dump directory is a link to another run's checked copy
        Files.createDirectories(drop.resolve("job-1"));
        Files.createSymbolicLink(drop.resolve("job-1/dump"), elsewhere);
        // and another run directory is a link itself
        Files.createSymbolicLink(drop.resolve("job-2"), elsewhere.getParent());

        assertThat(DeliveryTree.deleteInside(drop, "job-1", List.of("dump/1.dat"))).isZero();
        assertThat(elsewhere.resolve("1.dat")).hasContent("keep");
        assertThat(Files.isSymbolicLink(drop.resolve("job-1/dump"))).isTrue();
        try {
            DeliveryTree.deleteInside(drop, "job-2", List.of("roles.sql", "dump/1.dat"));
        } catch (java.nio.file.FileSystemException refused) {
            // ELOOP: the run directory is not opened through the link
        }
        assertThat(elsewhere.getParent().resolve("roles.sql")).hasContent("keep");
        assertThat(elsewhere.resolve("1.dat")).hasContent("keep");
    }
}

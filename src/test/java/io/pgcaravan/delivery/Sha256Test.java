package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The checked copy (the kernel copies, then the copy is hashed): the copy is the file byte for
 * byte, the app's own, and the hash is of what the copy holds; a link in the drop directory or an
 * existing file where the copy goes is refused rather than followed or overwritten.
 */
class Sha256Test {

    @TempDir
    Path dir;

    @Test
    void theCopyIsTheFileAndItsHashIsTheFilesHash() throws Exception {
        byte[] bytes = new byte[3 * 1024 * 1024 + 17]; // more than one buffer, not a multiple of one
        new Random(5).nextBytes(bytes);
        Path file = Files.write(dir.resolve("3391.dat"), bytes);
        Path copy = dir.resolve("copy.dat");

        String sha = Sha256.copy(file, copy);

        assertThat(Files.readAllBytes(copy)).isEqualTo(bytes);
        assertThat(sha).isEqualTo(HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes)))
                .isEqualTo(Sha256.of(file));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
    }

    @Test
    void anEmptyFileCopiesToAnEmptyFile() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.dat"));
        String sha = Sha256.copy(file, dir.resolve("copy.dat"));
        assertThat(sha).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(Files.size(dir.resolve("copy.dat"))).isZero();
    }

    @Test
    void aLinkIsNotFollowedAndAnExistingCopyNotOverwritten() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "not the delivery's");
        Path link = Files.createSymbolicLink(dir.resolve("4000.dat"), secret);
        assertThatThrownBy(() -> Sha256.copy(link, dir.resolve("copy.dat"))).isInstanceOf(IOException.class);
        assertThat(dir.resolve("copy.dat")).doesNotExist();

        Path file = Files.writeString(dir.resolve("4001.dat"), "rows");
        Path existing = Files.writeString(dir.resolve("existing"), "keep");
        assertThatThrownBy(() -> Sha256.copy(file, existing)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(existing)).isEqualTo("keep");
    }
}

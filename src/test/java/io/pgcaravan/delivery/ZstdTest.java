package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Table files compressed on their way up and decompressed into the checked copy: the copy is the
 * original byte for byte, the hash is that of what was delivered, and a damaged or cut-off file
 * never passes as intact.
 */
class ZstdTest {

    @TempDir
    Path dir;

    /** COPY-like text: compressible, but not trivially. */
    private static byte[] tableData() {
        Random r = new Random(3);
        StringBuilder b = new StringBuilder();
        String[] words = {"order", "shipped", "customer", "42.50", "2026-12-01", "{\"k\": 1}", "\\N"};
        while (b.length() < 6 << 20) {
            b.append(r.nextInt(1_000_000)).append('\t').append(words[r.nextInt(words.length)]).append('\t')
                    .append(Long.toHexString(r.nextLong())).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private Path compressed(byte[] raw) throws Exception {
        Path sent = dir.resolve("3391.dat.zst");
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        try (InputStream in = Zstd.compressing(new ByteArrayInputStream(raw), 1, kept);
             OutputStream out = Files.newOutputStream(sent)) {
            in.transferTo(out); // what the SFTP producer reads and sends
        }
        assertThat(kept.toByteArray()).as("the export half keeps exactly what it sent").isEqualTo(Files.readAllBytes(sent));
        return sent;
    }

    @Test
    void theCheckedCopyDecompressesToTheOriginal() throws Exception {
        byte[] raw = tableData();
        Path sent = compressed(raw);
        assertThat(Files.size(sent)).isLessThan(raw.length / 2);

        Path copy = dir.resolve("copy.dat.zst");
        Sha256.copy(sent, copy);                      // hashed as delivered (checksum stage) ...
        Zstd.decompress(copy, dir.resolve("copy.dat")); // ... and only then decompressed

        assertThat(Files.readAllBytes(dir.resolve("copy.dat"))).isEqualTo(raw);
        assertThat(copy).doesNotExist();
        assertThat(Files.getPosixFilePermissions(dir.resolve("copy.dat"))).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void aFileCompressedAfterTheDumpIsTheSameData() throws Exception {
        byte[] raw = tableData();
        Path from = Files.write(dir.resolve("3392.dat"), raw);
        Path to = dir.resolve("3392.dat.zst");
        Zstd.compress(from, to, 3);
        Zstd.decompress(to, dir.resolve("back.dat"));
        assertThat(Files.readAllBytes(dir.resolve("back.dat"))).isEqualTo(raw);
    }

    @Test
    void aDamagedOrCutOffFileDoesNotDecompress() throws Exception {
        Path sent = compressed(tableData());
        byte[] bytes = Files.readAllBytes(sent);
        byte[] flipped = bytes.clone();
        flipped[flipped.length / 2] ^= 0x01;
        Path damaged = Files.write(dir.resolve("damaged.zst"), flipped);
        Path cut = Files.write(dir.resolve("cut.zst"), java.util.Arrays.copyOf(bytes, bytes.length - 100));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Zstd.decompress(damaged, dir.resolve("damaged.dat")))
                .isInstanceOf(java.io.IOException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Zstd.decompress(cut, dir.resolve("cut.dat")))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void namesOfCompressedFiles() {
        assertThat(Zstd.compressed("dump/3391.dat.zst")).isTrue();
        assertThat(Zstd.compressed("dump/toc.dat")).isFalse();
        assertThat(Zstd.compressed("roles.sql.zst")).isFalse();
        assertThat(Zstd.decompressedName("dump/3391.dat.zst")).isEqualTo("dump/3391.dat");
    }
}

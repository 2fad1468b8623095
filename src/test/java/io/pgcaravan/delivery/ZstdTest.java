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
    void theCheckedCopyIsTheOriginalAndTheHashIsOfWhatWasDelivered() throws Exception {
        byte[] raw = tableData();
        Path sent = compressed(raw);
        assertThat(Files.size(sent)).isLessThan(raw.length / 2);

        Path copy = dir.resolve("copy.dat");
        String sha = Sha256.copy(sent, copy, true);

        assertThat(sha).isEqualTo(Sha256.of(sent));
        assertThat(Files.readAllBytes(copy)).isEqualTo(raw);
    }

    @Test
    void aFileCompressedAfterTheDumpIsTheSameData() throws Exception {
        byte[] raw = tableData();
        Path from = Files.write(dir.resolve("3392.dat"), raw);
        Path to = dir.resolve("3392.dat.zst");
        Zstd.compress(from, to, 3);
        Sha256.copy(to, dir.resolve("back.dat"), true);
        assertThat(Files.readAllBytes(dir.resolve("back.dat"))).isEqualTo(raw);
    }

    @Test
    void aDamagedFileNeverPassesAsIntact() throws Exception {
        Path sent = compressed(tableData());
        String listed = Sha256.of(sent);
        byte[] bytes = Files.readAllBytes(sent);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(sent, bytes);

        String found = Sha256.copy(sent, dir.resolve("copy.dat"), true);

        assertThat(found).isNotEqualTo(listed);
        assertThat(found.replace(Sha256.UNDECOMPRESSED, "")).isEqualTo(Sha256.of(sent));
    }

    @Test
    void aCutOffFileNeverPassesAsIntact() throws Exception {
        Path sent = compressed(tableData());
        byte[] bytes = Files.readAllBytes(sent);
        Files.write(sent, java.util.Arrays.copyOf(bytes, bytes.length - 100));

        String found = Sha256.copy(sent, dir.resolve("copy.dat"), true);

        assertThat(found).startsWith(Sha256.UNDECOMPRESSED);
    }

    @Test
    void namesOfCompressedFiles() {
        assertThat(Zstd.compressed("dump/3391.dat.zst")).isTrue();
        assertThat(Zstd.compressed("dump/toc.dat")).isFalse();
        assertThat(Zstd.compressed("roles.sql.zst")).isFalse();
        assertThat(Zstd.decompressedName("dump/3391.dat.zst")).isEqualTo("dump/3391.dat");
    }
}

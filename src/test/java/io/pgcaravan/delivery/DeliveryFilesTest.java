package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The routes name two delivery files in their URIs; they are the names the Java side uses. */
class DeliveryFilesTest {

    @Test
    void theRoutesUseTheDeliveryContractsNames() throws IOException {
        String imports = Files.readString(Path.of("routes/import.yaml"));
        String retries = Files.readString(Path.of("routes/retries.yaml"));
        assertThat(imports).contains("&include=" + DeliveryFiles.DONE + "&");
        // nothing is written into the drop directory by a file endpoint, which would write through
        // a planted link: result.json goes through WholeFile like the rest
        assertThat(imports + retries).doesNotContain("to: \"file:").contains("method: writeResult");
    }

    @Test
    void aPlantedLinkIsReplacedNotWrittenThrough(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path outside = Files.writeString(dir.resolve("outside"), "precious");
        Path delivery = Files.createDirectory(dir.resolve("run"));
        Files.createSymbolicLink(delivery.resolve(DeliveryFiles.STATUS), outside);
        Files.createSymbolicLink(delivery.resolve(DeliveryFiles.WRITING_PREFIX + DeliveryFiles.STATUS), outside);
        WholeFile.write(delivery.resolve(DeliveryFiles.STATUS), "{}");
        assertThat(outside).hasContent("precious");
        assertThat(Files.isSymbolicLink(delivery.resolve(DeliveryFiles.STATUS))).isFalse();
        assertThat(delivery.resolve(DeliveryFiles.STATUS)).hasContent("{}");
        Path linkedDir = Files.createSymbolicLink(dir.resolve("linked"), delivery);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WholeFile.write(linkedDir.resolve(DeliveryFiles.REPORT_JSON), "{}"))
                .hasMessageContaining("symbolic link");
    }

    @Test
    void aWholeFileIsNeverSeenHalfWritten(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path file = dir.resolve(DeliveryFiles.STATUS);
        WholeFile.write(file, "{\"a\":1}");
        WholeFile.write(file, "{\"a\":2}");
        assertThat(file).hasContent("{\"a\":2}");
        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactly(DeliveryFiles.STATUS);
        }
    }
}

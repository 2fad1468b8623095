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
        assertThat(imports).contains("&include=" + DeliveryFiles.DONE + "&")
                .contains("?tempPrefix=" + DeliveryFiles.WRITING_PREFIX + "\"");
        assertThat(retries).contains("?tempPrefix=" + DeliveryFiles.WRITING_PREFIX + "\"");
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

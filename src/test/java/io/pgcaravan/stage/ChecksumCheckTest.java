package io.pgcaravan.stage;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Names from a delivery's checksum list never lead outside the delivery directory. */
public class ChecksumCheckTest {

    private final Path dir = Path.of("/srv/drop/run-1");

    @Test
    void acceptsNamesInsideTheDelivery() {
        assertThat(Checksum.inside(dir, "dump")).isEqualTo(dir.resolve("dump"));
        assertThat(Checksum.inside(dir, "dump/3456.dat.gz")).isEqualTo(dir.resolve("dump/3456.dat.gz"));
    }

    @Test
    void refusesNamesThatLeaveIt() {
        assertThat(Checksum.inside(dir, "../run-2/dump")).isNull();
        assertThat(Checksum.inside(dir, "dump/../../etc/passwd")).isNull();
        assertThat(Checksum.inside(dir, "/etc/passwd")).isNull();
        assertThat(Checksum.inside(dir, ".")).isNull();
        assertThat(Checksum.inside(dir, "")).isNull();
        assertThat(Checksum.inside(dir, "a\\..\\..\\b")).isNull();
    }
}

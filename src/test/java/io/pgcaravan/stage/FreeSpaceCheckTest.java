package io.pgcaravan.stage;

import io.pgcaravan.stage.precheck.SpaceChecks;

import io.pgcaravan.stage.precheck.PrecheckItem;

import io.pgcaravan.stage.precheck.PrecheckItem.Verdict;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The free-space items against the dump's compression: an uncompressed dump needs about the data's size. */
public class FreeSpaceCheckTest {

    private static final long GB = 1L << 30;

    private static PrecheckItem check(long free, Integer compression) {
        return SpaceChecks.space("space.staging", "the staging directory", free, 10 * GB, compression);
    }

    @Test
    void enoughForTheDataPassesWhateverTheCompression() {
        assertThat(check(11 * GB, null).status()).isEqualTo(Verdict.PASS);
        assertThat(check(11 * GB, 0).status()).isEqualTo(Verdict.PASS);
    }

    @Test
    void lessThanTheDataFailsAnUncompressedDump() {
        PrecheckItem item = check(5 * GB, 0);
        assertThat(item.status()).isEqualTo(Verdict.FAIL);
        assertThat(item.message()).contains("too little for an uncompressed dump (pg_dump writes it uncompressed unless dump.compression is above 0)");
    }

    @Test
    void lessThanTheDataWarnsWhenTheDumpMayBeCompressed() {
        PrecheckItem auto = check(5 * GB, null);
        assertThat(auto.status()).isEqualTo(Verdict.WARN);
        assertThat(auto.message()).contains("compressed only on a slow link; dump.compression=1 makes sure");
        assertThat(check(5 * GB, 1).status()).isEqualTo(Verdict.WARN);
    }

    @Test
    void lessThanATenthFailsEvenCompressed() {
        assertThat(check(GB / 2, 9).status()).isEqualTo(Verdict.FAIL);
    }
}

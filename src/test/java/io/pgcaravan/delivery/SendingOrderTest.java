package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The order the dump's files go up in: the TOC, then the largest table first, a table's pieces together. */
class SendingOrderTest {

    @Test
    void theTocFirstThenTablesByTheirWholeSizeEachTablesPiecesTogether() {
        Map<Path, Long> sizes = new LinkedHashMap<>();
        sizes.put(Path.of("dump/3390.dat.zst"), 150L);        // a whole table, larger than any one piece
        sizes.put(Path.of("dump/piece-7-1.dat.zst"), 100L);   // table 7: 2 pieces, 190 in all
        sizes.put(Path.of("dump/piece-9-2.dat.zst"), 120L);   // table 9: 3 pieces, 320 in all
        sizes.put(Path.of("dump/piece-7-2.dat.zst"), 90L);
        sizes.put(Path.of("dump/piece-9-1.dat.zst"), 100L);
        sizes.put(Path.of("dump/3391.dat.zst"), 5L);
        sizes.put(Path.of("dump/piece-9-3.dat.zst"), 100L);
        sizes.put(Path.of("dump/toc.dat"), 1L);

        assertThat(SendingOrder.of(sizes)).map(Path::toString).containsExactly(
                "dump/toc.dat",
                "dump/piece-9-2.dat.zst", "dump/piece-9-1.dat.zst", "dump/piece-9-3.dat.zst",
                "dump/piece-7-1.dat.zst", "dump/piece-7-2.dat.zst",
                "dump/3390.dat.zst", "dump/3391.dat.zst");
    }

    @Test
    void everyPieceOfATableIsOfThatTableAndNothingElseIs() {
        assertThat(TablePieces.tableOf("piece-16905-2.dat")).isEqualTo("piece-16905");
        assertThat(TablePieces.tableOf("piece-16905-12.dat.zst")).isEqualTo("piece-16905");
        assertThat(TablePieces.tableOf("3386.dat.zst")).isEqualTo("3386.dat.zst");
        assertThat(TablePieces.tableOf("piece-x-1.dat")).isEqualTo("piece-x-1.dat");
    }
}

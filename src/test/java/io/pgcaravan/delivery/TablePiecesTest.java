package io.pgcaravan.delivery;

import io.pgcaravan.stage.pipeline.PieceLoad;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The manifest's record of a table in pieces: what the import half accepts to COPY from, and the statements made of it. */
class TablePiecesTest {

    private static TablePieces table(List<TablePieces.Piece> pieces) {
        return new TablePieces(42, "Sales\"; DROP", "Or\"ders", List.of("id", "we\"ird", "note"), pieces);
    }

    private static final List<TablePieces.Piece> GOOD = List.of(new TablePieces.Piece("piece-42-1.dat", 0, 10L),
            new TablePieces.Piece("piece-42-2.dat", 10, 20L), new TablePieces.Piece("piece-42-3.dat", 20, null));

    @Test
    void theStatementsQuoteEveryNameAndTheLastPieceHasNoEnd() {
        TablePieces t = table(GOOD);
        assertThat(t.problem()).isNull();
        assertThat(t.copyIn()).isEqualTo("COPY \"Sales\"\"; DROP\".\"Or\"\"ders\" (\"id\", \"we\"\"ird\", \"note\") FROM STDIN");
        assertThat(t.copyOut(GOOD.get(1))).isEqualTo("COPY (SELECT \"id\", \"we\"\"ird\", \"note\" FROM ONLY \"Sales\"\"; DROP\".\"Or\"\"ders\""
                + " WHERE ctid >= '(10,0)'::tid AND ctid < '(20,0)'::tid) TO STDOUT");
        assertThat(t.copyOut(GOOD.get(2))).endsWith("WHERE ctid >= '(20,0)'::tid) TO STDOUT");
    }

    @Test
    void aForgedRecordIsRefused() {
        // a file outside dump/, another table's piece, pieces out of order, a gap, a bounded last piece, no columns
        List<List<TablePieces.Piece>> forged = List.of(
                List.of(new TablePieces.Piece("../../etc/passwd", 0, null)),
                List.of(new TablePieces.Piece("piece-43-1.dat", 0, null)),
                List.of(new TablePieces.Piece("piece-42-2.dat", 0, 10L), new TablePieces.Piece("piece-42-1.dat", 10, null)),
                List.of(new TablePieces.Piece("piece-42-1.dat", 0, 10L), new TablePieces.Piece("piece-42-2.dat", 11, null)),
                List.of(new TablePieces.Piece("piece-42-1.dat", 0, 10L)),
                List.of(new TablePieces.Piece("piece-42-1.dat", 0, null), new TablePieces.Piece("piece-42-2.dat", 0, null)),
                List.of(new TablePieces.Piece("piece-42-1.dat.zst", 0, null)),
                List.of());
        for (List<TablePieces.Piece> pieces : forged) {
            assertThat(table(pieces).problem()).as(pieces.toString()).isNotNull();
            assertThatThrownBy(() -> PieceLoad.checked(List.of(table(pieces)))).isInstanceOf(IOException.class)
                    .hasMessageContaining("not as the export half writes them");
        }
        assertThat(new TablePieces(42, "s", "t", List.of(), GOOD).problem()).isNotNull();
        assertThatThrownBy(() -> PieceLoad.checked(List.of(table(GOOD), table(GOOD)))).hasMessageContaining("twice");
    }

    @Test
    void aManifestOfANewerFormatIsRefusedRatherThanReadInPart() throws IOException {
        SourceManifest known = new SourceManifest(SourceManifest.FORMAT_VERSION, "r", "j", null, null, "directory", null, null,
                List.of(), List.of(), 0, List.of(), java.util.Map.of(), List.of(table(GOOD)));
        assertThat(known.known()).isSameAs(known);
        SourceManifest newer = new SourceManifest(SourceManifest.FORMAT_VERSION + 1, "r", "j", null, null, "directory", null, null,
                List.of(), List.of(), 0, List.of(), java.util.Map.of(), List.of());
        assertThatThrownBy(newer::known).isInstanceOf(IOException.class)
                .hasMessageContaining("manifest is of format " + (SourceManifest.FORMAT_VERSION + 1)).hasMessageContaining("upgrade");
    }
}

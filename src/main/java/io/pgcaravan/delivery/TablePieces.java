package io.pgcaravan.delivery;

import io.pgcaravan.pg.PgConnections;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A table that travels in pieces (dump.split-tables-larger-than), as the manifest records it: its
 * source OID, its name, the columns a COPY carries (stored generated columns are computed again on
 * the way in, dropped ones are gone) and, per piece, the file and the range of pages it holds. The
 * last piece has no end: rows a page past the size measured when the run began still travel. The
 * import half restores a piece only as the signed manifest names it here, its file name of
 * {@link #FILE}'s form: nothing an SFTP account places in the drop directory becomes a COPY.
 */
public record TablePieces(long oid, String schema, String table, List<String> columns, List<Piece> pieces) {

    /** One piece: its file in dump/ and its pages, from {@code fromPage} up to (not including) {@code toPage}, or to the end. */
    public record Piece(String file, long fromPage, Long toPage) {
    }

    /** A piece's file name in dump/: {@code piece-<source oid>-<n>.dat} (not a name pg_dump gives its files). */
    public static final Pattern FILE = Pattern.compile("piece-(\\d+)-(\\d+)\\.dat");

    public static String fileName(long oid, int n) {
        return "piece-" + oid + "-" + n + ".dat";
    }

    /**
     * What a file of dump/ loads: {@code piece-<oid>} for every piece of one table (compressed or
     * not), the file's own name for any other.
     */
    public static String tableOf(String fileName) {
        java.util.regex.Matcher m = PIECE_OF.matcher(fileName);
        return m.matches() ? m.group(1) : fileName;
    }

    /** A piece's file, compressed or not: its table's part of the name. */
    private static final Pattern PIECE_OF = Pattern.compile("(piece-\\d+)-\\d+\\.dat(\\..+)?");

    public String display() {
        return schema + "." + table;
    }

    /** The COPY that reads one piece from the source: its pages' rows, only this table's (never an inheriting one's). */
    public String copyOut(Piece p) {
        String where = "ctid >= '(" + p.fromPage() + ",0)'::tid" + (p.toPage() == null ? "" : " AND ctid < '(" + p.toPage() + ",0)'::tid");
        return "COPY (SELECT " + columnList() + " FROM ONLY " + PgConnections.qualified(schema, table) + " WHERE " + where + ") TO STDOUT";
    }

    /** The COPY that loads one piece into the destination's table. */
    public String copyIn() {
        return "COPY " + PgConnections.qualified(schema, table) + " (" + columnList() + ") FROM STDIN";
    }

    private String columnList() {
        return String.join(", ", columns.stream().map(PgConnections::ident).toList());
    }

    /**
     * What makes the record unfit to restore from: a piece file not of {@link #FILE}'s form or not
     * this table's, pieces out of order, no columns. Empty when fit.
     */
    public String problem() {
        if (columns == null || columns.isEmpty() || pieces == null || pieces.isEmpty() || schema == null || table == null) {
            return display() + ": a table in pieces without its columns or pieces";
        }
        long next = 0;
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            Matcher m = p.file() == null ? null : FILE.matcher(p.file());
            if (m == null || !m.matches() || Long.parseLong(m.group(1)) != oid || Integer.parseInt(m.group(2)) != i + 1) {
                return display() + ": piece " + (i + 1) + " is not named as a piece of this table is";
            }
            boolean last = i == pieces.size() - 1;
            if (p.fromPage() != next || (last ? p.toPage() != null : p.toPage() == null || p.toPage() <= p.fromPage())) {
                return display() + ": its pieces do not cover its pages once each";
            }
            next = last ? 0 : p.toPage();
        }
        return null;
    }
}

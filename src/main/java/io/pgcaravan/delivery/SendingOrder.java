package io.pgcaravan.delivery;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order the dump's files go up in: the table of contents first (a pipelined restore begins
 * with the schema), then the largest table first, so that a pipelined restore loads it and builds
 * its indexes while the smaller ones cross the link, and what is left to restore after the last
 * byte is a small table, not the largest. A table in pieces counts as the sum of its pieces, which
 * go one after the other: its indexes wait for the last of them. (Sorted by file size alone, the
 * pieces of two tables interleaved, and the indexes of both waited for the end of the upload: at
 * 3 GB over 100 Mbit/s, 21 s after the last byte.)
 */
public final class SendingOrder {

    private SendingOrder() {
    }

    /** The files (paths in the delivery) with their sizes, in the order to send them. */
    public static List<Path> of(Map<Path, Long> sizes) {
        Map<String, Long> tables = new HashMap<>();
        sizes.forEach((p, size) -> tables.merge(table(p), size, Long::sum));
        List<Path> out = new ArrayList<>(sizes.keySet());
        out.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().startsWith("toc."))
                .thenComparing((Path p) -> tables.get(table(p)), Comparator.reverseOrder())
                .thenComparing(SendingOrder::table)
                .thenComparing(sizes::get, Comparator.reverseOrder())
                .thenComparing(Path::toString));
        return out;
    }

    private static String table(Path p) {
        return TablePieces.tableOf(p.getFileName().toString());
    }
}

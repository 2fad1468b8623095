package io.pgcaravan.stage.verify;

/**
 * One line of the verification table: a table's rows in the manifest and on the destination, and
 * in checksum mode the content checksums on both sides.
 */
public record TableCheck(String schema, String table, String kind, long sourceRows, Long destinationRows,
                         String sourceChecksum, String destinationChecksum, boolean match) {
}

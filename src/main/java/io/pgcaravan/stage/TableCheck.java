package io.pgcaravan.stage;

/** One line of the verification table: a table's rows in the manifest and on the destination. */
public record TableCheck(String schema, String table, String kind, long sourceRows, Long destinationRows, boolean match) {
}

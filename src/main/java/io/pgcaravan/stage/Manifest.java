package io.pgcaravan.stage;

import io.pgcaravan.run.RunOptions;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * What the dump holds, written next to it: the source it came from and the exact row count of
 * every table. The import half verifies the destination against it.
 */
public record Manifest(
        int formatVersion,
        String runId,
        String job,
        OffsetDateTime createdAt,
        Source source,
        String dumpFormat,
        RunOptions options,
        List<TableRows> tables) {

    public static final int FORMAT_VERSION = 1;

    /** The source database, with what it takes to create the destination database like it. */
    public record Source(String version, int major, String database, String encoding, String collate, String ctype,
                         String owner, List<String> settings) {
    }

    public record TableRows(String schema, String table, String kind, long rows) {
        public String display() {
            return schema + "." + table;
        }
    }
}

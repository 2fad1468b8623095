package io.pgcaravan.delivery;

import io.pgcaravan.pg.Inventory;
import io.pgcaravan.config.RunOptions;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * What the dump holds, written next to it: the source it came from, the exact row count of every
 * table and the objects, all read in the snapshot pg_dump took. The import half verifies the
 * destination against it.
 */
public record SourceManifest(
        int formatVersion,
        String runId,
        String job,
        OffsetDateTime createdAt,
        Source source,
        String dumpFormat,
        RunOptions options,
        String snapshot,
        List<TableRows> tables,
        List<Inventory.DbObject> objects,
        long largeObjects,
        List<String> extensions,
        Map<String, String> extensionVersions,
        List<TablePieces> pieces) {

    /** 3: the extensions' versions; 4: the source's superusers; 5: the tables in pieces. */
    public static final int FORMAT_VERSION = 5;

    /**
     * This manifest, if this version of the app knows its format: a newer export agent's could
     * name what this import agent would leave out unseen (its JSON reader skips unknown fields:
     * the tables in pieces would be restored empty).
     */
    public SourceManifest known() throws java.io.IOException {
        if (formatVersion > FORMAT_VERSION) {
            throw new java.io.IOException("the delivery's manifest is of format " + formatVersion + ", this import agent reads up to "
                    + FORMAT_VERSION + ": upgrade it to the export agent's version");
        }
        return this;
    }

    /** The tables in pieces (none in a manifest written before there were pieces). */
    public List<TablePieces> piecesOrNone() {
        return pieces == null ? List.of() : pieces;
    }

    /**
     * The source database, with what it takes to create the destination database like it, and
     * the source's superusers (whose objects a managed destination's login takes over: RoleMap),
     * the roles its restore acts as and what only a superuser can restore (for the import half's
     * precheck).
     */
    public record Source(String version, int major, String database, String encoding, String collate, String ctype,
                         String owner, List<String> settings, List<String> superusers, String bootstrap, List<String> actingRoles,
                         List<String> superuserOnly) {
    }

    /** A table's own rows (FROM ONLY) and, in checksum mode, its content checksum. */
    public record TableRows(String schema, String table, String kind, long rows, String checksum) {
        public String display() {
            return schema + "." + table;
        }
    }
}

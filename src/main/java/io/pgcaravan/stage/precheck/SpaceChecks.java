package io.pgcaravan.stage.precheck;

import io.pgcaravan.stage.io.FileTrees;
import java.nio.file.Files;
import java.nio.file.Path;

/** The precheck items of free space: the staging directory and the drop directory against the data to dump. */
public final class SpaceChecks {

    /**
     * Free space against the table data to dump. An uncompressed dump takes about the data's size;
     * a compressed one typically a fifth to a half. So: with compression set to none, less than
     * the data fails; otherwise it warns (the default compresses only on a slow link), and less
     * than a tenth of it fails.
     */
    public static PrecheckItem space(String item, String where, Long free, long data, Integer compression) {
        if (free == null) {
            return PrecheckItem.warn(item, "cannot tell the free space of " + where + "; the tables to dump hold "
                    + FileTrees.humanBytes(data));
        }
        String facts = FileTrees.humanBytes(free) + " free in " + where + " for " + FileTrees.humanBytes(data) + " of table data";
        boolean uncompressed = compression != null && compression == 0;
        if (free < data / 10 || (uncompressed && free < data)) {
            return PrecheckItem.fail(item, facts + (uncompressed ? ": too little for an uncompressed dump (pg_dump writes it uncompressed"
                    + " unless dump.compression is above 0)"
                    : ": clearly too little, even for a well compressed dump"));
        }
        if (free < data) {
            return PrecheckItem.warn(item, facts + ": enough only if the dump is compressed and compresses well"
                    + (compression == null ? " (by default it is compressed only on a slow link; dump.compression=1 makes sure)" : ""));
        }
        return PrecheckItem.pass(item, facts);
    }

    public static Long free(Path dir) {
        try {
            Path existing = dir;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            return existing == null ? null : Files.getFileStore(existing).getUsableSpace();
        } catch (Exception e) {
            return null;
        }
    }

    private SpaceChecks() {
    }
}

package io.pgcaravan.live;

import java.util.List;

/**
 * The two halves of a run, each with its stages in order: the export half runs near the source,
 * the import half on or beside the intermediate host. Each half holds its own parts of a run and
 * leaves the run on its own.
 */
public enum Half {
    EXPORT(List.of("precheck", "roles", "dump", "manifest", "upload")),
    IMPORT(List.of("checksum", "prepare", "restore", "verify", "report"));

    private final List<String> stages;

    Half(List<String> stages) {
        this.stages = stages;
    }

    public List<String> stages() {
        return stages;
    }

    /** The half a stage belongs to; anything else (a run's own steps before its first stage) is the export half's. */
    public static Half of(String stage) {
        return IMPORT.stages.contains(stage) ? IMPORT : EXPORT;
    }
}

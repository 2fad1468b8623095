package io.pgcaravan.store;

import java.util.List;
import java.util.stream.Stream;

/**
 * The stages of a run, in order. Each is a route with the same id in routes/; the export half
 * runs near the source, the import half on or beside the intermediate host.
 */
public final class Stages {

    public static final List<String> EXPORT = List.of("precheck", "roles", "dump", "manifest", "upload");
    public static final List<String> IMPORT = List.of("checksum", "prepare", "restore", "verify", "report");
    public static final List<String> ALL = Stream.concat(EXPORT.stream(), IMPORT.stream()).toList();

    private Stages() {
    }
}

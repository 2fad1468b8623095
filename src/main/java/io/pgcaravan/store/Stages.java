package io.pgcaravan.store;

import io.pgcaravan.live.Half;

import java.util.List;
import java.util.stream.Stream;

/**
 * The stages of a run, in order (each half's are {@link Half#stages()}). Each is a route with the
 * same id in routes/.
 */
public final class Stages {

    public static final List<String> EXPORT = Half.EXPORT.stages();
    public static final List<String> IMPORT = Half.IMPORT.stages();
    public static final List<String> ALL = Stream.concat(EXPORT.stream(), IMPORT.stream()).toList();

    private Stages() {
    }
}

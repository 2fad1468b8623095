package io.pgcaravan.stage.precheck;

import io.pgcaravan.pg.Catalog;

import java.util.List;

/** What the precheck learnt about the source, for the items that compare it with the destination. */
public record SourceFacts(int major, List<String> tables, Catalog.DatabaseSettings settings, List<String> extensions,
                          long dataBytes) {
}

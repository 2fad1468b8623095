package io.pgcaravan.stage.precheck;

import io.pgcaravan.pg.Catalog;

import java.util.List;

/**
 * What the precheck learnt about the source, for the items that compare it with the destination:
 * also its superusers, the roles a restore acts as (owners, grantors, default-privilege roles) and
 * what only a superuser can restore (null where it is not known, as from an older manifest).
 */
public record SourceFacts(int major, List<String> tables, Catalog.DatabaseSettings settings, List<String> extensions,
                          long dataBytes, List<String> superusers, String bootstrap, List<String> actingRoles, List<String> superuserOnly) {
}

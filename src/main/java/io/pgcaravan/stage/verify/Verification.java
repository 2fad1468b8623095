package io.pgcaravan.stage.verify;

import java.util.List;

/**
 * Everything the verification compared, each with its verdict: the tables' rows (and content
 * checksums in checksum mode), the objects per schema and kind, the sequences, the large objects,
 * the schema object by object (definitions, owners, privileges, comments, the database's own
 * properties), the extensions' versions and the roles the run created.
 */
public record Verification(List<TableCheck> tables, List<ObjectCheck> objects, List<SequenceCheck> sequences,
                           LargeObjectCheck largeObjects, SchemaCheck schema, List<ExtensionCheck> extensions, RoleCheck roles) {

    /** The roles the run created, each as it created it; {@code kept}: roles the destination had already, left as they were. */
    public record RoleCheck(int compared, List<SchemaDifference> differences, List<String> kept, String notCompared) {
    }

    /**
     * The schema, entry by entry as pg_dump divides it: how many the source's dump had, how many
     * matched, every difference, and what was allowed to differ and why.
     */
    public record SchemaCheck(int compared, int matched, List<SchemaDifference> differences, List<Allowed> allowed, String notCompared) {
        /** Nothing could be compared, and why: the client tools cannot read the destination's server. */
        public static SchemaCheck notCompared(String why) {
            return new SchemaCheck(0, 0, List.of(), List.of(), why);
        }

        /** Not compared, as the job allows (verify.schema=if-readable): listed with the reason, no difference. */
        public static SchemaCheck skipped(String why) {
            return new SchemaCheck(0, 0, List.of(), List.of(new Allowed("the schema and the roles",
                    "not compared (verify.schema=if-readable): " + why)), null);
        }
    }

    /** One difference in one object: its entry ("TABLE shop.orders"), what differs, the source's and the destination's statement. */
    public record SchemaDifference(String object, String what, String expected, String found) {
        public String describe() {
            return object + ": " + what + (expected == null ? "" : ", expected " + expected)
                    + (found == null ? "" : ", found " + found);
        }
    }

    /** Something the run allows to differ, and why. */
    public record Allowed(String what, String why) {
    }

    public record ExtensionCheck(String extension, String expectedVersion, String foundVersion, boolean match) {
    }

    /** The objects of one kind in one schema: how many the source had, how many arrived, which are missing or extra. */
    public record ObjectCheck(String schema, String kind, int expected, int found, List<String> missing, List<String> extra,
                              boolean match) {
    }

    public record SequenceCheck(String sequence, long expectedLastValue, boolean expectedIsCalled, Long foundLastValue,
                                Boolean foundIsCalled, boolean match) {
    }

    public record LargeObjectCheck(long expected, long found, boolean match) {
    }

    /** One line per difference: what, where, expected, found. */
    public List<String> differences() {
        List<String> out = new java.util.ArrayList<>();
        for (TableCheck t : tables) {
            if (!t.match()) {
                String where = t.schema() + "." + t.table();
                if (t.destinationRows() == null) {
                    out.add("table " + where + ": missing on the destination (expected " + t.sourceRows() + " rows)");
                } else if (t.destinationRows() != t.sourceRows()) {
                    out.add("table " + where + ": expected " + t.sourceRows() + " rows, found " + t.destinationRows());
                } else {
                    out.add("table " + where + ": same " + t.sourceRows() + " rows but different content (checksum "
                            + t.sourceChecksum() + " on the source, " + t.destinationChecksum() + " on the destination)");
                }
            }
        }
        for (ObjectCheck o : objects) {
            if (!o.match()) {
                out.add(o.kind() + " in schema " + o.schema() + ": expected " + o.expected() + ", found " + o.found()
                        + (o.missing().isEmpty() ? "" : "; missing: " + String.join(", ", o.missing())));
            }
        }
        for (SequenceCheck s : sequences) {
            if (!s.match()) {
                out.add("sequence " + s.sequence() + ": expected last_value " + s.expectedLastValue() + " (is_called "
                        + s.expectedIsCalled() + "), found " + (s.foundLastValue() == null ? "no sequence"
                        : s.foundLastValue() + " (is_called " + s.foundIsCalled() + ")"));
            }
        }
        if (largeObjects != null && !largeObjects.match()) {
            out.add("large objects: expected " + largeObjects.expected() + ", found " + largeObjects.found());
        }
        if (schema != null) {
            // what could not be compared is not taken as matching
            if (schema.notCompared() != null) {
                out.add("schema: " + schema.notCompared());
            }
            schema.differences().forEach(d -> out.add(d.describe()));
        }
        if (roles != null) {
            if (roles.notCompared() != null) {
                out.add("roles: " + roles.notCompared());
            }
            roles.differences().forEach(d -> out.add(d.describe()));
        }
        for (ExtensionCheck e : extensions == null ? List.<ExtensionCheck>of() : extensions) {
            if (!e.match()) {
                out.add("extension " + e.extension() + ": expected version " + e.expectedVersion() + ", found "
                        + (e.foundVersion() == null ? "none" : e.foundVersion()));
            }
        }
        return out;
    }
}

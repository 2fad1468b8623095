package io.pgcaravan.stage.verify;

import io.pgcaravan.delivery.RoleMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The schema of the source, as the dump carries it, against the destination's, both as pg_dump
 * prints them (pre- and post-data: every object's definition, owner, ACL, comment, security
 * label, policies, publications, large objects' metadata, and the database's own entries). Both
 * scripts come from the same pg_dump version with an empty search_path, so every name is
 * qualified the same way whatever the databases' search_path; each entry (one per object, as the
 * "-- Name: ...; Type: ...; Schema: ...; Owner: ..." headers divide them) is compared statement by
 * statement. What differs only because the run was asked to is allowed and said so: the
 * database's name, the owners and privileges with restore.no-owner, objects a database that
 * existed before the run already had.
 */
public final class SchemaComparison {

    /**
     * What the run allows to differ. {@code sourceReadOnly}: the source database's own
     * default_transaction_read_only (null if it has none), as the manifest read it: the dump may
     * have caught the run's write freeze instead.
     */
    public record Options(String sourceDatabase, String destinationDatabase, boolean ownersAndPrivileges,
                          boolean destinationExistedBefore, String sourceReadOnly, RoleMap roleMap, boolean privileges) {
        public Options(String sourceDatabase, String destinationDatabase, boolean ownersAndPrivileges, boolean destinationExistedBefore) {
            this(sourceDatabase, destinationDatabase, ownersAndPrivileges, destinationExistedBefore, null, RoleMap.none(), ownersAndPrivileges);
        }
    }

    private static final String READ_ONLY = "ALTER DATABASE " + "\"<database>\"" + " SET default_transaction_read_only TO ";

    private SchemaComparison() {
    }

    public static Verification.SchemaCheck compare(String source, String destination, Options options) {
        boolean owners = options.ownersAndPrivileges();
        boolean privileges = owners || options.privileges();
        Map<String, List<SchemaEntries.Entry>> expected = byKey(mapped(unfrozen(SchemaEntries.parse(source, options.sourceDatabase(), owners,
                privileges), options), options.roleMap()));
        Map<String, List<SchemaEntries.Entry>> found = byKey(SchemaEntries.parse(destination, options.destinationDatabase(), owners, privileges));
        List<Verification.SchemaDifference> differences = new ArrayList<>();
        List<String> extraAllowed = new ArrayList<>();
        int matched = 0;
        for (Map.Entry<String, List<SchemaEntries.Entry>> e : expected.entrySet()) {
            List<SchemaEntries.Entry> there = found.getOrDefault(e.getKey(), List.of());
            List<SchemaEntries.Entry> here = e.getValue();
            if (there.isEmpty()) {
                differences.add(new Verification.SchemaDifference(e.getKey(), "missing on the destination",
                        firstStatement(here.get(0)), null));
                continue;
            }
            List<Verification.SchemaDifference> d = differences(e.getKey(), here, there);
            if (d.isEmpty()) {
                matched++;
            }
            differences.addAll(d);
        }
        for (Map.Entry<String, List<SchemaEntries.Entry>> e : found.entrySet()) {
            if (!expected.containsKey(e.getKey())) {
                if (options.destinationExistedBefore()) {
                    extraAllowed.add(e.getKey());
                } else {
                    differences.add(new Verification.SchemaDifference(e.getKey(), "not in the source's dump", null,
                            firstStatement(e.getValue().get(0))));
                }
            }
        }
        List<Verification.Allowed> allowed = allowed(options, extraAllowed);
        if (!expected.containsKey("DATABASE " + SchemaEntries.DATABASE)) {
            allowed.add(new Verification.Allowed("the database's own properties", "the dump is of a selection of schemas or tables, "
                    + "for which pg_dump writes none of the database's entries (comment, ACL, settings): they neither travel nor are compared"));
        }
        return new Verification.SchemaCheck(expected.size(), matched, differences, allowed, null);
    }

    private static List<Verification.Allowed> allowed(Options options, List<String> extra) {
        List<Verification.Allowed> out = new ArrayList<>();
        if (!options.sourceDatabase().equals(options.destinationDatabase())) {
            out.add(new Verification.Allowed("the database's name", "restored as " + options.destinationDatabase()
                    + " (the source's is " + options.sourceDatabase() + "): its own entries are compared under that name"));
        }
        out.add(new Verification.Allowed("tablespaces", "the restore puts everything in the destination's default tablespace (--no-tablespaces)"));
        if (!options.ownersAndPrivileges() && options.privileges()) {
            out.add(new Verification.Allowed("owners", "restore.no-owner: everything is the destination login's; "
                    + "the source's privileges and default privileges are compared"));
        } else if (!options.ownersAndPrivileges()) {
            out.add(new Verification.Allowed("owners and privileges", "restore.no-owner without migrated roles: the destination's "
                    + "own, not the source's (nobody to grant them to)"));
        }
        if (!options.roleMap().isEmpty()) {
            out.add(new Verification.Allowed("mapped roles", options.roleMap().describe()
                    + ": the source's objects, grants and default privileges of these roles are compared as the destination role's"));
        }
        if (!extra.isEmpty()) {
            out.add(new Verification.Allowed(extra.size() + " objects only on the destination",
                    "the destination database existed before the run: " + String.join(", ", extra.stream().limit(10).toList())
                            + (extra.size() > 10 ? ", ..." : "")));
        }
        return out;
    }

    /** The entries under one key on both sides, statement by statement; overloaded names may have several. */
    private static List<Verification.SchemaDifference> differences(String key, List<SchemaEntries.Entry> here, List<SchemaEntries.Entry> there) {
        List<Verification.SchemaDifference> out = new ArrayList<>();
        List<String> expectedOwners = here.stream().map(SchemaEntries.Entry::owner).sorted().toList();
        List<String> foundOwners = there.stream().map(SchemaEntries.Entry::owner).sorted().toList();
        if (!Objects.equals(expectedOwners, foundOwners)) {
            out.add(new Verification.SchemaDifference(key, "owner", String.join(", ", expectedOwners), String.join(", ", foundOwners)));
        }
        List<String> exp = here.stream().flatMap(e -> e.statements().stream()).sorted().toList();
        List<String> fnd = there.stream().flatMap(e -> e.statements().stream()).sorted().toList();
        if (exp.stream().noneMatch(x -> x.contains(MULTIRANGE))) {
            fnd = fnd.stream().map(SchemaComparison::withoutMultirange).sorted().toList();
        }
        List<String> missing = minus(exp, fnd);
        List<String> extra = minus(fnd, exp);
        for (int i = 0; i < Math.max(missing.size(), extra.size()); i++) {
            out.add(new Verification.SchemaDifference(key, "definition", i < missing.size() ? missing.get(i) : null,
                    i < extra.size() ? extra.get(i) : null));
        }
        return out;
    }

    /**
     * From PostgreSQL 14 on every range type has a multirange type, which pg_dump names in its
     * CREATE TYPE: a range type from an older source gets one on the newer destination (the
     * server's own, with the default name), which is no difference of the migration's.
     */
    private static final String MULTIRANGE = "multirange_type_name = ";
    private static final java.util.regex.Pattern MULTIRANGE_OPTION = java.util.regex.Pattern.compile(",\\s*multirange_type_name = [^,)\\n]+");

    private static String withoutMultirange(String statement) {
        return statement.startsWith("CREATE TYPE ") ? MULTIRANGE_OPTION.matcher(statement).replaceAll("") : statement;
    }

    private static List<String> minus(List<String> a, List<String> b) {
        List<String> rest = new ArrayList<>(b);
        List<String> out = new ArrayList<>();
        for (String s : a) {
            if (!rest.remove(s)) {
                out.add(s);
            }
        }
        return out;
    }

    private static String firstStatement(SchemaEntries.Entry e) {
        return e.statements().isEmpty() ? null : e.statements().get(0);
    }

    private static Map<String, List<SchemaEntries.Entry>> byKey(List<SchemaEntries.Entry> entries) {
        Map<String, List<SchemaEntries.Entry>> out = new TreeMap<>();
        for (SchemaEntries.Entry e : entries) {
            out.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
        }
        return out;
    }

    /** The source's entries with their roles as the destination has them (RoleMap): owners, grantees, grantors. */
    private static List<SchemaEntries.Entry> mapped(List<SchemaEntries.Entry> entries, RoleMap map) {
        if (map.isEmpty()) {
            return entries;
        }
        return entries.stream().map(e -> new SchemaEntries.Entry(e.type(), e.schema(), e.name(),
                e.owner().isEmpty() ? e.owner() : map.to(e.owner()), e.statements().stream().map(map::renamed).toList())).toList();
    }

    /** The source's entries with the database's read-only default as the source really has it (not as a write freeze left it). */
    private static List<SchemaEntries.Entry> unfrozen(List<SchemaEntries.Entry> entries, Options options) {
        // a dump of a selection has no database entries at all: then there is nothing to put right
        List<SchemaEntries.Entry> out = new ArrayList<>();
        for (SchemaEntries.Entry e : entries) {
            if (!e.type().equals("DATABASE PROPERTIES")) {
                out.add(e);
                continue;
            }
            List<String> statements = new ArrayList<>(e.statements().stream().filter(s -> !s.startsWith(READ_ONLY)).toList());
            if (options.sourceReadOnly() != null) {
                statements.add(READ_ONLY + "'" + options.sourceReadOnly().replace("'", "''") + "'");
            }
            if (!statements.isEmpty()) {
                out.add(new SchemaEntries.Entry(e.type(), e.schema(), e.name(), e.owner(), statements));
            }
        }
        return out;
    }
}

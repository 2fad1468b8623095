package io.pgcaravan.stage.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which indexes and constraints a pipelined restore may build as soon as their tables' data is in,
 * rather than all of them after the last table has arrived: an index or a primary key once its
 * table is loaded, a foreign key once both of its tables are loaded and the key it references is
 * built. What each entry depends on is pg_dump's own record, as pg_restore prints it in a verbose
 * script ({@code -- TOC entry N} and {@code -- Dependencies: ...}); pg_restore runs an entry
 * chosen here after the TABLE DATA of the same call it depends on (the list's order). Foreign keys
 * are chosen apart, in lanes that share no table ({@link RestoreLanes}), so that two of them, each
 * locking both of its tables, never wait for each other.
 * <p>
 * Only INDEX, CONSTRAINT and FK CONSTRAINT entries, and only those whose every dependency is the
 * schema already restored, a table whose data is in (or in the same call), or another entry
 * chosen here: anything else (triggers, rules, a partition's index attachment, a materialized
 * view's refresh, a table whose data travels otherwise) waits for the restore stage, which
 * restores whatever is left. A dependency misread can only make an entry wait, or make its
 * pg_restore fail, after which the restore starts again clean: never a wrong result.
 */
public final class PostDataPlan {

    private static final Pattern LINE = Pattern.compile("^(\\d+); \\d+ (\\d+) (.*)$");
    private static final Pattern ENTRY = Pattern.compile("^-- TOC entry (\\d+) \\(class \\d+ OID \\d+\\)$");
    private static final Pattern DEPENDENCIES = Pattern.compile("^-- Dependencies:((?: \\d+)+)$");
    private static final List<String> EARLY = List.of("INDEX ", "CONSTRAINT ", "FK CONSTRAINT ");

    /** The entries that may go early, by dump id: their TOC line and what they depend on. */
    private final Map<String, Entry> early = new LinkedHashMap<>();
    /** The dump ids the pre-data step restored. */
    private final Set<String> schema;
    /** A table's dump id to its TABLE DATA's. */
    private final Map<String, String> dataOf = new HashMap<>();
    /** Every table's dump id. */
    private final Set<String> tables = new HashSet<>();
    /** A table's dump id by its source OID. */
    private final Map<String, String> tableByOid = new HashMap<>();

    private record Entry(String line, List<String> dependencies, boolean foreignKey) {
    }

    private PostDataPlan(Set<String> schema) {
        this.schema = schema;
    }

    /**
     * @param toc       the TOC lines restored (pg_restore --list, what the pipeline restores from)
     * @param preData   the dump ids of the pre-data section (pg_restore --list --section=pre-data)
     * @param postData  pg_restore's verbose script of the post-data section
     */
    public static PostDataPlan of(List<String> toc, Set<String> preData, List<String> postData) {
        PostDataPlan plan = new PostDataPlan(preData);
        Map<String, String> tableByOid = new HashMap<>();
        Map<String, String> dataByOid = new HashMap<>();
        Map<String, String> lines = new HashMap<>();
        for (String l : toc) {
            Matcher m = LINE.matcher(l);
            if (!m.matches()) {
                continue;
            }
            lines.put(m.group(1), l);
            if (m.group(3).startsWith("TABLE DATA ")) {
                dataByOid.put(m.group(2), m.group(1));
            } else if (m.group(3).startsWith("TABLE ")) {
                tableByOid.put(m.group(2), m.group(1));
            }
        }
        plan.tableByOid.putAll(tableByOid);
        tableByOid.forEach((oid, table) -> {
            plan.tables.add(table);
            if (dataByOid.containsKey(oid)) {
                plan.dataOf.put(table, dataByOid.get(oid));
            }
        });
        String id = null;
        for (String l : postData) {
            Matcher e = ENTRY.matcher(l);
            if (e.matches()) {
                id = e.group(1);
                continue;
            }
            Matcher d = DEPENDENCIES.matcher(l);
            if (id != null && d.matches()) {
                String line = lines.get(id);
                Matcher m = line == null ? null : LINE.matcher(line);
                if (m != null && m.matches() && EARLY.stream().anyMatch(m.group(3)::startsWith) && !m.group(3).startsWith("INDEX ATTACH ")) {
                    plan.early.put(id, new Entry(line, List.of(d.group(1).strip().split(" ")), m.group(3).startsWith("FK CONSTRAINT ")));
                }
            }
            id = null; // (the dependencies come right after their entry's line, or not at all)
        }
        return plan;
    }

    /**
     * The TOC lines of the entries that may be restored now: the indexes and keys (or with
     * {@code foreignKeys}, only the foreign keys) not built and not {@code busy} elsewhere, whose
     * every dependency is met, given {@code loaded} (the TABLE DATA ids restored before, or in the
     * same pg_restore) and {@code built} (the entries built before).
     */
    public Map<String, String> ready(Set<String> loaded, Set<String> built, Set<String> busy, boolean foreignKeys) {
        Set<String> chosen = new HashSet<>();
        boolean more = true;
        while (more) { // (an entry may follow another chosen in the same pass)
            more = false;
            for (Map.Entry<String, Entry> e : early.entrySet()) {
                if (e.getValue().foreignKey() == foreignKeys && !built.contains(e.getKey()) && !busy.contains(e.getKey())
                        && !chosen.contains(e.getKey())
                        && e.getValue().dependencies().stream().allMatch(dep -> met(dep, foreignKeys, loaded, built, chosen))) {
                    chosen.add(e.getKey());
                    more = true;
                }
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Entry> e : early.entrySet()) {
            if (chosen.contains(e.getKey())) {
                out.put(e.getKey(), e.getValue().line());
            }
        }
        return out;
    }

    private boolean met(String dep, boolean foreignKey, Set<String> loaded, Set<String> built, Set<String> chosen) {
        if (dataOf.containsKey(dep)) {
            return loaded.contains(dataOf.get(dep)); // a table: its data
        }
        if (foreignKey && tables.contains(dep)) {
            // a table without data of its own (a partitioned one: pg_dump adds its foreign keys
            // without ONLY, checked in every partition): not before the restore stage
            return false;
        }
        return built.contains(dep) || chosen.contains(dep) || schema.contains(dep) && !early.containsKey(dep);
    }

    /**
     * Ready foreign keys shared out over {@code lanes} free lanes: a foreign key goes with the group
     * that already has one of its tables (one lane's foreign keys run one after the other), else
     * into a lane of its own while there is one, else to the smallest group. Each locks both of its
     * tables, so no table is in two groups nor in one a running lane has {@code locked}: two lanes
     * holding one table each could wait for each other. What would join two groups waits.
     */
    public List<Set<String>> shareForeignKeys(List<String> keys, Set<String> locked, int lanes) {
        List<Set<String>> groups = new ArrayList<>();
        List<Set<String>> tablesOfGroups = new ArrayList<>();
        if (lanes <= 0) {
            return groups;
        }
        for (String k : keys) {
            Set<String> t = tablesOf(k);
            if (!java.util.Collections.disjoint(t, locked)) {
                continue;
            }
            List<Integer> sharing = new ArrayList<>();
            for (int g = 0; g < groups.size(); g++) {
                if (!java.util.Collections.disjoint(t, tablesOfGroups.get(g))) {
                    sharing.add(g);
                }
            }
            int g;
            if (sharing.size() > 1) {
                continue;
            } else if (sharing.size() == 1) {
                g = sharing.get(0);
            } else if (groups.size() < lanes) {
                groups.add(new LinkedHashSet<>());
                tablesOfGroups.add(new HashSet<>());
                g = groups.size() - 1;
            } else {
                g = 0;
                for (int i = 1; i < groups.size(); i++) {
                    g = groups.get(i).size() < groups.get(g).size() ? i : g;
                }
            }
            groups.get(g).add(k);
            tablesOfGroups.get(g).addAll(t);
        }
        return groups;
    }

    /** The tables an entry depends on (a foreign key: both of its tables). */
    public Set<String> tablesOf(String id) {
        Entry e = early.get(id);
        Set<String> out = new HashSet<>();
        if (e != null) {
            e.dependencies().stream().filter(tables::contains).forEach(out::add);
        }
        return out;
    }

    /**
     * A table whose data travels in pieces (no TABLE DATA of its own in the dump): its indexes and
     * keys wait for {@code id} among the loaded, which the caller adds once every piece is in.
     * False for a table the TOC does not hold.
     */
    public boolean dataAs(long tableOid, String id) {
        String table = tableByOid.get(Long.toString(tableOid));
        if (table == null) {
            return false;
        }
        dataOf.put(table, id);
        return true;
    }

    /** How many entries may go early at all. */
    public int size() {
        return early.size();
    }

    /** The ids of the entries this plan knows (for a test to read). */
    List<String> ids() {
        return new ArrayList<>(early.keySet());
    }
}

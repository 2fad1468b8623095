package io.pgcaravan;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shape of src/main/java, as docs/design.md draws it: the packages in layers, each depending
 * only on the ones below it; no import circle between packages or between classes; no class much
 * longer than 250 lines without the reason at its top.
 */
class ArchitectureTest {

    private static final Path MAIN = Path.of("src/main/java/io/pgcaravan");
    /** Top to bottom. A package may depend on the packages after it in this list, never before. */
    private static final List<String> LAYERS = List.of("api", "split", "run", "stage", "work", "delivery", "pg", "sftp",
            "retry", "exec", "track", "store", "live", "config");
    private static final Pattern PROJECT_TYPE = Pattern.compile("io\\.pgcaravan\\.([a-z.]+)\\.([A-Z]\\w*)");
    private static final Pattern WORD = Pattern.compile("(?<![\\w.])([A-Z]\\w*)\\b");

    record Source(String pkg, String name, String text, String code, String raw) {
        String fqn() {
            return pkg + "." + name;
        }

        int lines() {
            return (int) raw.lines().count();
        }

        String layer() {
            return pkg.split("\\.")[0];
        }
    }

    @Test
    void packagesDependOnlyOnTheLayersBelowThem() throws IOException {
        List<String> upward = new ArrayList<>();
        for (Source s : sources()) {
            for (String dep : dependencies(s, Map.of())) {
                String to = dep.substring(0, dep.lastIndexOf('.')).split("\\.")[0];
                int from = LAYERS.indexOf(s.layer());
                int target = LAYERS.indexOf(to);
                assertThat(from).as("package %s is in docs/design.md's layers", s.layer()).isNotNegative();
                assertThat(target).as("package %s is in docs/design.md's layers", to).isNotNegative();
                if (target < from) {
                    upward.add(s.fqn() + " -> " + dep + " (" + s.layer() + " is below " + to + ")");
                }
            }
        }
        assertThat(upward).as("dependencies that point up").isEmpty();
    }

    @Test
    void noImportCircleBetweenPackagesOrClasses() throws IOException {
        List<Source> sources = sources();
        Map<String, Source> byFqn = new HashMap<>();
        sources.forEach(s -> byFqn.put(s.fqn(), s));
        Map<String, Set<String>> classes = new TreeMap<>();
        Map<String, Set<String>> packages = new TreeMap<>();
        for (Source s : sources) {
            Set<String> deps = dependencies(s, byFqn);
            classes.put(s.fqn(), deps);
            for (String d : deps) {
                String p = d.substring(0, d.lastIndexOf('.'));
                if (!p.equals(s.pkg())) {
                    packages.computeIfAbsent(s.pkg(), k -> new TreeSet<>()).add(p);
                }
            }
        }
        assertThat(cycles(packages)).as("package circles").isEmpty();
        assertThat(cycles(classes)).as("class circles").isEmpty();
    }

    @Test
    void longClassesSayWhyAtTheirTop() throws IOException {
        List<String> tooLong = sources().stream()
                .filter(s -> s.lines() > 260 && !s.raw().contains("Longer than 250 lines because"))
                .map(s -> s.fqn() + " (" + s.lines() + " lines)").toList();
        assertThat(tooLong).isEmpty();
    }

    /** The project classes a source uses: by import, by full name, or by simple name in its own package. */
    private static Set<String> dependencies(Source s, Map<String, Source> all) {
        Set<String> deps = new TreeSet<>();
        Matcher m = PROJECT_TYPE.matcher(s.text());
        while (m.find()) {
            deps.add(m.group(1) + "." + m.group(2));
        }
        Matcher w = WORD.matcher(s.code());
        while (w.find()) {
            String same = s.pkg() + "." + w.group(1);
            if (all.containsKey(same)) {
                deps.add(same);
            }
        }
        deps.remove(s.fqn());
        return deps;
    }

    private static List<Source> sources() throws IOException {
        List<Source> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                String pkg = MAIN.relativize(f.getParent()).toString().replace('/', '.');
                String name = f.getFileName().toString().replace(".java", "");
                // the code without comments, strings and import lines: what a simple name there refers to
                String code = text.replaceAll("(?m)^(package|import) .*$", "")
                        .replaceAll("\"\"\"[\\s\\S]*?\"\"\"|//.*|/\\*[\\s\\S]*?\\*/|\"(?:\\\\.|[^\"\\\\])*+\"", "");
                String imports = String.join("\n", text.lines().filter(l -> l.startsWith("import io.pgcaravan.")).toList());
                out.add(new Source(pkg, name, imports + "\n" + code, code, text));
            }
        }
        return out;
    }

    /** The strongly connected components of more than one node (Tarjan). */
    private static List<Set<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        List<String> stack = new ArrayList<>();
        List<Set<String>> found = new ArrayList<>();
        int[] counter = {0};
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, graph, index, low, stack, found, counter);
            }
        }
        return found;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
                                List<String> stack, List<Set<String>> found, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, found, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.remove(stack.size() - 1);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                found.add(component);
            }
        }
    }

    @Test
    void theLayersAreTheOnesDocsDesignDraws() throws IOException {
        String design = Files.readString(Path.of("docs/design.md"));
        List<Integer> drawnAt = new ArrayList<>();
        for (String layer : LAYERS) {
            Matcher m = Pattern.compile("(?m)^" + layer + " ").matcher(design);
            assertThat(m.find()).as("docs/design.md draws the layer %s", layer).isTrue();
            drawnAt.add(m.start());
        }
        assertThat(drawnAt).as("docs/design.md draws the layers in this order: %s", LAYERS).isSorted();
    }
}

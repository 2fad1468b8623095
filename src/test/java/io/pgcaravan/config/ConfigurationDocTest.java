package io.pgcaravan.config;

import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/configuration.md against the configuration mapping itself: every key the mapping reads is
 * documented, every documented {@code caravan.*} key exists, and every default the mapping has is
 * the one the page gives. So the two cannot drift.
 */
class ConfigurationDocTest {

    private static final Path DOC = Path.of("docs/configuration.md");
    private static final String JOB = "caravan.jobs.<job>.";
    /** A table row: its first cell (the keys) and its second (the defaults). */
    private static final Pattern ROW = Pattern.compile("^\\| (.+?) \\| (.*?) \\|");
    private static final Pattern KEY = Pattern.compile("`([a-z][a-z0-9.<>*-]*)`");

    @Test
    void everyKeyOfTheMappingIsDocumentedWithItsDefault() throws IOException {
        Map<String, String> mapping = new LinkedHashMap<>();
        walk(CaravanConfig.class, "caravan.", mapping);
        Map<String, String> documented = documented();

        List<String> problems = new ArrayList<>();
        mapping.forEach((key, dflt) -> {
            String doc = key.startsWith(JOB + "destination.")
                    ? (documented.containsKey(JOB + "destination.*") ? documented.get(key.replace(JOB + "destination.", JOB + "source.")) : null)
                    : documented.get(key);
            if (doc == null && !documented.containsKey(key)) {
                problems.add(key + " is read by the configuration mapping but not in " + DOC);
            } else if (dflt != null && doc != null && !doc.contains(dflt)) {
                problems.add(key + ": the mapping's default is '" + dflt + "', " + DOC + " says '" + doc + "'");
            }
        });
        documented.keySet().stream()
                .filter(k -> k.startsWith("caravan.") && !k.endsWith(".*"))
                .filter(k -> !mapping.containsKey(k))
                .forEach(k -> problems.add(k + " is in " + DOC + " but the configuration mapping has no such key"));
        assertThat(problems).as("docs/configuration.md against CaravanConfig/JobConfig").isEmpty();
        assertThat(mapping).hasSizeGreaterThan(60); // the walk found the mapping, not an empty shell
    }

    /** The mapping's keys, with their {@code @WithDefault} values (null where there is none). */
    private static void walk(Class<?> type, String prefix, Map<String, String> keys) {
        for (Method m : type.getDeclaredMethods()) {
            if (m.isDefault() || Modifier.isStatic(m.getModifiers()) || m.getParameterCount() > 0 || m.isSynthetic()) {
                continue;
            }
            String name = Optional.ofNullable(m.getAnnotation(WithName.class)).map(WithName::value).orElse(kebab(m.getName()));
            String dflt = Optional.ofNullable(m.getAnnotation(WithDefault.class)).map(WithDefault::value).orElse(null);
            Type t = m.getGenericReturnType();
            Class<?> raw = raw(t);
            if (raw == Optional.class) {
                t = ((ParameterizedType) t).getActualTypeArguments()[0];
                raw = raw(t);
            }
            if (raw == Map.class) {
                Type value = ((ParameterizedType) t).getActualTypeArguments()[1];
                if (raw(value).isInterface() && group(raw(value))) {
                    String placeholder = name.equals("jobs") ? "<job>" : "<name>";
                    walk(raw(value), prefix + name + "." + placeholder + ".", keys);
                } else {
                    keys.put(prefix + name + ".<name>", null);
                }
            } else if (raw.isInterface() && group(raw)) {
                walk(raw, prefix + name + ".", keys);
            } else {
                keys.put(prefix + name, dflt);
            }
        }
    }

    private static boolean group(Class<?> c) {
        return c.getName().startsWith("io.pgcaravan.");
    }

    private static Class<?> raw(Type t) {
        return t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    /**
     * The keys in the page's tables with their default cells. The jobs' table gives keys relative
     * to {@code caravan.jobs.<job>.}; a row may name several keys ({@code `a`, `b`} or
     * {@code `a` / `b`}), with as many comma-separated defaults or one for all.
     */
    private static Map<String, String> documented() throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        String section = "";
        for (String line : Files.readAllLines(DOC)) {
            if (line.startsWith("### ")) {
                section = line;
                continue;
            }
            Matcher row = ROW.matcher(line);
            if (!row.find() || row.group(1).equals("key") || row.group(1).startsWith("---")) {
                continue;
            }
            List<String> names = new ArrayList<>();
            Matcher k = KEY.matcher(row.group(1));
            while (k.find()) {
                names.add(k.group(1));
            }
            String[] defaults = row.group(2).split(", ");
            for (int i = 0; i < names.size(); i++) {
                String key = section.contains("caravan.jobs.<job>") ? JOB + names.get(i) : names.get(i);
                keys.put(key, defaults.length == names.size() ? defaults[i] : row.group(2));
            }
        }
        return keys;
    }

    @Test
    void theWalkSeesNestedGroupsMapsAndRenames() {
        Map<String, String> keys = new LinkedHashMap<>();
        walk(CaravanConfig.class, "caravan.", keys);
        assertThat(keys).containsEntry("caravan.jobs.<job>.source.port", "5432")
                .containsEntry("caravan.import.poll-delay-ms", "250")
                .containsKey("caravan.jobs.<job>.restore.settings.<name>")
                .containsKey("caravan.api.users.<name>.password-file");
        assertThat(Arrays.stream(CaravanConfig.class.getDeclaredMethods()).map(Method::getName)).contains("importHalf");
    }
}

package io.pgcaravan.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A job given as data (the jobs API), read exactly as the configuration file's jobs are: its keys
 * are those of {@code caravan.jobs.<job>.*}, relative to the job ({@code "source.host"}, or nested:
 * {@code {"source": {"host": ...}}}), and it is mapped and checked by the same configuration
 * mapping and {@link ConfigChecks}, so the messages are the file's, naming the same keys (in this
 * process's role and retry ranges, as its own file's jobs are).
 * Secrets are references only: a password file or an environment variable, never a value.
 * Unlike the file, a key the mapping does not know is refused (a typo would otherwise pass as a default).
 */
public final class JobDefinition {

    /** Keys whose value would be a secret itself: refused, with what to give instead. */
    private static final Set<String> SECRET_KEYS = Set.of("password", "private-key-passphrase");

    private final String name;
    private final Map<String, String> keys;
    private final JobConfig job;

    private JobDefinition(String name, Map<String, String> keys, JobConfig job) {
        this.name = name;
        this.keys = keys;
        this.job = job;
    }

    public String name() {
        return name;
    }

    /** The job's keys (relative to {@code caravan.jobs.<job>.}) and their values, as stored. */
    public Map<String, String> keys() {
        return keys;
    }

    public JobConfig job() {
        return job;
    }

    /**
     * Reads and checks a job definition.
     *
     * @throws Invalid with every problem found, each naming its key as the configuration file would
     */
    public static JobDefinition of(String name, JsonNode body, CaravanConfig process, jakarta.validation.Validator validator) {
        List<String> problems = new ArrayList<>();
        if (name == null || !ConfigChecks.JOB_NAME.matcher(name).matches()) {
            throw new Invalid(List.of("name: a job name is 1-63 letters, digits, '-' or '_', starting with a letter or digit"));
        }
        if (body == null || !body.isObject()) {
            throw new Invalid(List.of("the job must be a JSON object of its configuration keys"));
        }
        Map<String, String> keys = new TreeMap<>();
        flatten("", body, keys, problems);
        return of(name, keys, problems, process, validator);
    }

    /** A stored definition (checked when it was stored; checked again, since the code may have changed since). */
    public static JobDefinition of(String name, Map<String, String> keys, CaravanConfig process, jakarta.validation.Validator validator) {
        return of(name, new TreeMap<>(keys), new ArrayList<>(), process, validator);
    }

    private static JobDefinition of(String name, Map<String, String> keys, List<String> problems, CaravanConfig process,
                                    jakarta.validation.Validator validator) {
        String prefix = "caravan.jobs." + name + ".";
        for (String key : keys.keySet()) {
            String last = key.substring(key.lastIndexOf('.') + 1);
            if (SECRET_KEYS.contains(last)) {
                problems.add(prefix + key + ": secrets are not taken as values here; give " + prefix
                        + key.substring(0, key.length() - last.length()) + (last.equals("password") ? "password-file (a file, e.g. a mounted "
                        + "Kubernetes Secret) or " + prefix + key.substring(0, key.length() - last.length()) + "password-env (an environment "
                        + "variable's name)" : "private-key (a key without a passphrase) in a file"));
            }
        }
        secretReferences(prefix, keys, process.api().jobSecrets(), problems);
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        Map<String, String> props = new TreeMap<>();
        keys.forEach((k, v) -> props.put(prefix + k, v));
        // what the checks of a job depend on in the process: which halves it runs, whether the
        // retry windows must lie in their ranges
        props.put("caravan.role", process.role().name().toLowerCase(java.util.Locale.ROOT));
        props.put("caravan.retry.enforce-ranges", Boolean.toString(process.retry().enforceRanges()));
        CaravanConfig mapped;
        try {
            SmallRyeConfig config = new SmallRyeConfigBuilder()
                    .addDefaultInterceptors()
                    .addDiscoveredConverters()
                    .withMapping(CaravanConfig.class)
                    // the mapping's constraints (@Min, @NotBlank, ...), checked as Quarkus checks the file's
                    .withValidator((io.smallrye.config.validator.BeanValidationConfigValidator) () -> validator)
                    .withSources(new PropertiesConfigSource(props, "job " + name, 100))
                    .build();
            mapped = config.getConfigMapping(CaravanConfig.class);
        } catch (RuntimeException e) {
            throw new Invalid(messages(e));
        }
        problems.addAll(ConfigChecks.problems(mapped).stream().filter(p -> p.startsWith(prefix)).toList());
        JobConfig job = mapped.jobs().get(name);
        if (job == null) {
            problems.add(prefix + "*: no keys given");
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new JobDefinition(name, Map.copyOf(keys), job);
    }

    /** The files a job reads secrets from must be in the allowed directories, its variables of the allowed prefix. */
    private static void secretReferences(String prefix, Map<String, String> keys, CaravanConfig.JobSecrets allowed, List<String> problems) {
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String key = e.getKey();
            if (key.endsWith("password-file") || key.endsWith("private-key")) {
                java.nio.file.Path file = java.nio.file.Path.of(e.getValue());
                java.nio.file.Path real;
                try {
                    // (links resolved: a link in an allowed directory must not lead out of it)
                    real = file.isAbsolute() ? file.toRealPath() : null;
                } catch (java.io.IOException ex) {
                    real = file.toAbsolutePath().normalize();
                }
                java.nio.file.Path r = real;
                boolean inside = r != null && allowed.dirs().stream().anyMatch(d -> {
                    try {
                        return r.startsWith(d.toRealPath());
                    } catch (java.io.IOException ex) {
                        return r.startsWith(d.toAbsolutePath().normalize());
                    }
                });
                if (!inside) {
                    problems.add(prefix + key + ": a job created over the API reads its secrets only from under "
                            + allowed.dirs() + " (caravan.api.job-secrets.dirs), by an absolute path");
                }
            } else if (key.endsWith("password-env") && !e.getValue().startsWith(allowed.envPrefix())) {
                problems.add(prefix + key + ": a job created over the API reads passwords only from variables named "
                        + allowed.envPrefix() + "* (caravan.api.job-secrets.env-prefix)");
            }
        }
    }

    /** The configuration mapping's own messages, one per problem (SmallRye gathers them all). */
    private static List<String> messages(RuntimeException e) {
        List<String> out = new ArrayList<>();
        if (e instanceof io.smallrye.config.ConfigValidationException v) {
            for (int i = 0; i < v.getProblemCount(); i++) {
                out.add(clean(v.getProblem(i).getMessage()));
            }
        } else {
            out.add(clean(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
        return out;
    }

    /** "java.util.NoSuchElementException: SRCFG00014: The config property ..." -> "The config property ...". */
    private static String clean(String message) {
        return message.replaceFirst("^([\\w.$]+(Exception|Error): )?(SRCFG\\d+: )?", "");
    }

    private static void flatten(String path, JsonNode node, Map<String, String> keys, List<String> problems) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (path.isEmpty() && f.getKey().equals("name")) {
                    continue; // the job's name, not one of its keys
                }
                flatten(path.isEmpty() ? f.getKey() : path + "." + f.getKey(), f.getValue(), keys, problems);
            }
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(item -> items.add(item.asText()));
            keys.put(path, String.join(",", items));
        } else if (node.isNull()) {
            problems.add(path + ": null is not a value (leave the key out for its default)");
        } else {
            keys.put(path, node.asText());
        }
    }

    /** The definition is not a valid job; every problem, as the configuration file's check would say it. */
    public static class Invalid extends IllegalArgumentException {
        private final List<String> problems;

        public Invalid(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }
}

package io.pgcaravan.config;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks on the configuration that a field annotation cannot express (one option excluding
 * another, names that end up in paths). Runs at start-up so a broken configuration never starts;
 * every message names the property to fix.
 */
@ApplicationScoped
public class ConfigChecks {

    static final Pattern JOB_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    private static final Set<String> SSL_MODES =
            Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    @Inject
    CaravanConfig config;

    void onStart(@Observes @Priority(StartupOrder.CONFIG_CHECKS) StartupEvent event) {
        List<String> problems = new ArrayList<>(problems(config));
        boolean pgStore = org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getOptionalValue("quarkus.datasource.pgstore.active", Boolean.class).orElse(false);
        if (config.fleet().enabled() && !pgStore) {
            problems.add("caravan.fleet.enabled: the replicas of a fleet share their run history in PostgreSQL; "
                    + "set quarkus.datasource.pgstore.active=true and its jdbc.url (docs/configuration.md)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Invalid pg-caravan configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    static List<String> problems(CaravanConfig config) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JobConfig> e : config.jobs().entrySet()) {
            String name = e.getKey();
            String p = "caravan.jobs." + name + ".";
            JobConfig job = e.getValue();
            if (!JOB_NAME.matcher(name).matches()) {
                problems.add(p + "*: job name '" + name + "' must be 1-63 letters, digits, '-' or '_', starting with a letter or digit");
            }
            CaravanConfig.Role role = config.role();
            boolean exports = role != CaravanConfig.Role.IMPORT;
            boolean imports = role != CaravanConfig.Role.EXPORT;
            if (exports && job.sourceIfConfigured().isEmpty()) {
                problems.add(p + "source.*: missing; the " + role.name().toLowerCase() + " role dumps the source");
            }
            if (exports && job.intermediateIfConfigured().isEmpty()) {
                problems.add(p + "intermediate.*: missing; the " + role.name().toLowerCase() + " role uploads to the intermediate host");
            }
            if (imports && job.destinationIfConfigured().isEmpty()) {
                problems.add(p + "destination.*: missing; the " + role.name().toLowerCase() + " role restores into the destination");
            }
            job.sourceIfConfigured().ifPresent(ep -> sourceDatabases(problems, p, ep));
            job.destinationIfConfigured().ifPresent(ep -> destinationDatabase(problems, p, ep, job.severalDatabases()));
            job.sourceIfConfigured().ifPresent(ep -> endpoint(problems, p + "source.", ep));
            job.destinationIfConfigured().ifPresent(ep -> endpoint(problems, p + "destination.", ep));
            job.intermediateIfConfigured().filter(i -> !i.dropDir().startsWith("/")).ifPresent(i ->
                    problems.add(p + "intermediate.drop-dir: must be an absolute path on the intermediate host, got '" + i.dropDir() + "'"));
            problems.addAll(RetryWindows.problems(job.retry().connection(), p + "retry.connection",
                    job.retry().other(), p + "retry.other", config.retry().enforceRanges()));
            job.schedule().cron().filter(c -> !org.quartz.CronExpression.isValidExpression(c)).ifPresent(c ->
                    problems.add(p + "schedule.cron: '" + c + "' is not a cron expression (seconds minutes hours day-of-month month "
                            + "day-of-week, e.g. '0 30 2 * * ?')"));
            job.schedule().timeZone().filter(z -> !validZone(z)).ifPresent(z ->
                    problems.add(p + "schedule.time-zone: unknown time zone '" + z + "'"));
            job.restore().settings().forEach((setting, value) -> {
                // they travel in the connection string's options, where these need no escaping
                if (!setting.matches("[a-z_][a-z0-9_.]*") || !value.matches("[A-Za-z0-9_.:+-]*")) {
                    problems.add(p + "restore.settings." + setting + ": a setting name (lower case) and a plain value "
                            + "(letters, digits, _ . : + -) expected, got '" + value + "'");
                }
            });
            job.dump().jobs().filter(j -> j > 1 && job.dump().format() != JobConfig.DumpFormat.DIRECTORY).ifPresent(j ->
                    problems.add(p + "dump.jobs: parallel dumps (" + j + ") need " + p + "dump.format=directory"));
        }
        config.importHalf().retention().filter(r -> {
            try {
                RetryDuration.parse(r);
                return false;
            } catch (IllegalArgumentException e) {
                return true;
            }
        }).ifPresent(r -> problems.add("caravan.import.retention: '" + r + "' is not a duration (e.g. 7d, 48h)"));
        if (!validZone(config.schedule().timeZone())) {
            problems.add("caravan.schedule.time-zone: unknown time zone '" + config.schedule().timeZone() + "'");
        }
        config.oneShot().job().filter(j -> !config.jobs().containsKey(j)).ifPresent(j ->
                problems.add("caravan.one-shot.job: no job named '" + j + "' is configured"));
        FleetConfig fleet = config.fleet();
        if (fleet.enabled() && fleet.renewEveryMs() * 3 > fleet.lease().toMillis()) {
            problems.add("caravan.fleet.renew-every-ms (" + fleet.renewEveryMs() + ") must be at most a third of caravan.fleet.lease ("
                    + RetryDuration.format(fleet.lease()) + "): a replica stops its runs when it could not renew for two thirds of it");
        }
        if (fleet.enabled() && config.oneShot().job().isPresent()) {
            problems.add("caravan.one-shot.job: a one-shot process runs its job alone; it cannot be a replica of a fleet (caravan.fleet.enabled)");
        }
        if (config.retry().initialDelayMs() > config.retry().maxDelayMs()) {
            problems.add("caravan.retry.initial-delay-ms (" + config.retry().initialDelayMs()
                    + ") must not exceed caravan.retry.max-delay-ms (" + config.retry().maxDelayMs() + ")");
        }
        Map<String, CaravanConfig.ApiUser> principals = new java.util.LinkedHashMap<>();
        config.api().users().forEach((k, v) -> principals.put("caravan.api.users." + k + ".", v));
        config.api().tokens().forEach((k, v) -> principals.put("caravan.api.tokens." + k + ".", v));
        for (Map.Entry<String, CaravanConfig.ApiUser> e : principals.entrySet()) {
            String p = e.getKey();
            if (e.getValue().password().isPresent() == e.getValue().passwordFile().isPresent()) {
                problems.add(p + "password / " + p + "password-file: set exactly one of them");
            }
            for (String role : e.getValue().roles()) {
                if (!Set.of("viewer", "operator").contains(role)) {
                    problems.add(p + "roles: unknown role '" + role + "' (known: viewer, operator)");
                }
            }
        }
        return problems;
    }

    private static boolean validZone(String zone) {
        try {
            java.time.ZoneId.of(zone);
            return true;
        } catch (java.time.DateTimeException e) {
            return false;
        }
    }

    /** One database (source.database) or several (source.databases), not both and not neither. */
    private static void sourceDatabases(List<String> problems, String p, JobConfig.DatabaseEndpoint src) {
        boolean named = !src.database().equals(JobConfig.RUN_DATABASE);
        if (src.databases().isPresent() && named) {
            problems.add(p + "source.database / " + p + "source.databases: set only one of them");
        } else if (src.databases().isEmpty() && !named) {
            problems.add(p + "source.database: missing (or " + p + "source.databases, for several databases each migrated as a run of its own)");
        }
        if (named && src.database().contains(JobConfig.RUN_DATABASE)) {
            problems.add(p + "source.database: " + JobConfig.RUN_DATABASE + " stands for the source database's name on the destination only");
        }
        src.databases().filter(l -> l.isEmpty() || l.stream().anyMatch(String::isBlank)).ifPresent(l ->
                problems.add(p + "source.databases: database names or patterns (* and ?) expected"));
        if (src.databases().isEmpty() && src.excludeDatabases().isPresent()) {
            problems.add(p + "source.exclude-databases: only leaves databases out of " + p + "source.databases");
        }
    }

    /** The destination takes one name, with {database} for the run's source database. */
    private static void destinationDatabase(List<String> problems, String p, JobConfig.DatabaseEndpoint dst, boolean several) {
        if (dst.databases().isPresent() || dst.excludeDatabases().isPresent()) {
            problems.add(p + "destination.databases: the destination takes one name, " + p + "destination.database, with "
                    + JobConfig.RUN_DATABASE + " standing for each run's source database (e.g. " + JobConfig.RUN_DATABASE + "_new)");
        }
        if (several && !dst.database().contains(JobConfig.RUN_DATABASE)) {
            problems.add(p + "destination.database: a job of several databases needs " + JobConfig.RUN_DATABASE
                    + " in it (the default), so that each of its runs restores into a database of its own; got '" + dst.database() + "'");
        }
    }

    private static void endpoint(List<String> problems, String p, JobConfig.DatabaseEndpoint ep) {
        if ((ep.password().isPresent() ? 1 : 0) + (ep.passwordFile().isPresent() ? 1 : 0) + (ep.passwordEnv().isPresent() ? 1 : 0) > 1) {
            problems.add(p + "password / " + p + "password-file / " + p + "password-env: set only one of them");
        }
        ep.sslmode().filter(m -> !SSL_MODES.contains(m)).ifPresent(m ->
                problems.add(p + "sslmode: '" + m + "' is not one of " + String.join(", ", SSL_MODES.stream().sorted().toList())));
    }
}

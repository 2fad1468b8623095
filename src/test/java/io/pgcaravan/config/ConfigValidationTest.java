package io.pgcaravan.config;


import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.validator.BeanValidationConfigValidator;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The configuration is checked as the application starts; every error names the property to fix. */
public class ConfigValidationTest {

    public static Map<String, String> validJob() {
        Map<String, String> p = new HashMap<>();
        String k = "caravan.jobs.nightly.";
        p.put(k + "source.host", "db1");
        p.put(k + "source.database", "shop");
        p.put(k + "source.user", "u");
        p.put(k + "source.password", "pw");
        p.put(k + "destination.host", "db2");
        p.put(k + "destination.database", "shop");
        p.put(k + "destination.user", "u");
        p.put(k + "intermediate.host", "jump");
        p.put(k + "intermediate.user", "drop");
        p.put(k + "intermediate.private-key", "/k");
        p.put(k + "intermediate.known-hosts", "/kh");
        p.put(k + "intermediate.drop-dir", "/srv/drop");
        return p;
    }

    public static CaravanConfig load(Map<String, String> props) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(CaravanConfig.class)
                // what Quarkus registers itself (caravan.staging.max-held is a MemorySize)
                .withConverter(io.quarkus.runtime.configuration.MemorySize.class, 100,
                        new io.quarkus.runtime.configuration.MemorySizeConverter())
                .withSources(new PropertiesConfigSource(props, "test", 100))
                .withValidator(new BeanValidationConfigValidator() {
                    private final Validator validator = Validation.byDefaultProvider().configure()
                            .messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory().getValidator();

                    @Override
                    public Validator getValidator() {
                        return validator;
                    }
                })
                .build();
        return config.getConfigMapping(CaravanConfig.class);
    }

    @Test
    void aValidJobHasTheDocumentedDefaults() {
        CaravanConfig c = load(validJob());
        JobConfig job = c.jobs().get("nightly");
        assertThat(job.source().port()).isEqualTo(5432);
        assertThat(job.intermediate().port()).isEqualTo(22);
        assertThat(job.intermediate().strictHostKeyChecking()).isTrue();
        assertThat(job.intermediate().groupAccess()).as("owner only unless asked").isFalse();
        assertThat(c.importHalf().privateCopy()).isTrue();
        assertThat(c.staging().maxHeld()).isEmpty();
        java.util.Map<String, String> capped = new java.util.HashMap<>(validJob());
        capped.put("caravan.staging.max-held", "20G");
        assertThat(load(capped).staging().maxHeld().orElseThrow().asLongValue()).isEqualTo(20L << 30);
        assertThat(job.dump().format()).isEqualTo(JobConfig.DumpFormat.DIRECTORY);
        assertThat(job.dump().compression()).as("chosen per run from the link").isEmpty();
        assertThat(job.restore().mode()).isEqualTo(JobConfig.RestoreMode.AUTO);
        // jobs: the cores this process may use
        RunOptions options = RunOptions.of(job);
        assertThat(options.dumpJobs()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(options.restoreJobs()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(ConfigChecks.problems(c)).isEmpty();
    }

    @Test
    void outOfRangeValuesNameTheProperty() {
        Map<String, String> p = validJob();
        p.put("caravan.jobs.nightly.source.port", "70000");
        assertThatThrownBy(() -> load(p)).hasMessageContaining("caravan.jobs.nightly.source.port");
    }

    @Test
    void unknownEnumValuesNameTheProperty() {
        Map<String, String> p = validJob();
        p.put("caravan.jobs.nightly.restore.mode", "fast");
        assertThatThrownBy(() -> load(p)).hasMessageContaining("caravan.jobs.nightly.restore.mode");
    }

    @Test
    void missingRequiredValuesNameTheProperty() {
        Map<String, String> p = validJob();
        p.remove("caravan.jobs.nightly.intermediate.host");
        assertThatThrownBy(() -> load(p)).hasMessageContaining("caravan.jobs.nightly.intermediate.host");
    }

    @Test
    void crossFieldRulesNameTheProperties() {
        Map<String, String> p = validJob();
        p.put("caravan.jobs.nightly.source.password-file", "/run/secrets/pw");
        p.put("caravan.jobs.nightly.dump.jobs", "4");
        p.put("caravan.jobs.nightly.dump.format", "custom");
        p.put("caravan.jobs.nightly.restore.settings.work_mem", "64MB'; DROP");
        p.put("caravan.jobs.nightly.intermediate.drop-dir", "drop");
        p.put("caravan.jobs.nightly.destination.sslmode", "sometimes");
        List<String> problems = ConfigChecks.problems(load(p));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.source.password / caravan.jobs.nightly.source.password-file"));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.dump.jobs: parallel dumps (4) need caravan.jobs.nightly.dump.format=directory"));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.restore.settings.work_mem: a setting name"));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.intermediate.drop-dir: must be an absolute path"));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.destination.sslmode: 'sometimes'"));
    }

    @Test
    void retryWindowsHaveTheManagedServiceDefaults() {
        JobConfig job = load(validJob()).jobs().get("nightly");
        assertThat(job.retry().connection()).isEqualTo(java.time.Duration.ofMinutes(720));
        assertThat(job.retry().other()).isEqualTo(java.time.Duration.ofMinutes(10));
    }

    @Test
    void retryWindowsAcceptMinutesUnitsAndIso() {
        Map<String, String> p = validJob();
        p.put("caravan.jobs.nightly.retry.connection", "12h");
        p.put("caravan.jobs.nightly.retry.other", "PT30M");
        CaravanConfig c = load(p);
        assertThat(c.jobs().get("nightly").retry().connection()).isEqualTo(java.time.Duration.ofHours(12));
        assertThat(c.jobs().get("nightly").retry().other()).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(ConfigChecks.problems(c)).isEmpty();
    }

    @Test
    void invalidRetryWindowsAreClearErrors() {
        assertThat(windowProblems("0", "1")).contains("caravan.jobs.nightly.retry.connection: must be positive, got 0 s");
        assertThat(windowProblems("5", "1")).contains("caravan.jobs.nightly.retry.connection: must be between 10 and 1440 minutes, got 5 min");
        assertThat(windowProblems("2000", "10")).contains("caravan.jobs.nightly.retry.connection: must be between 10 and 1440 minutes, got 2000 min");
        assertThat(windowProblems("720", "2000")).contains("caravan.jobs.nightly.retry.other: must be between 1 and 1440 minutes, got 2000 min");
        assertThat(windowProblems("60", "60")).contains(
                "caravan.jobs.nightly.retry.other (60 min) must be shorter than caravan.jobs.nightly.retry.connection (60 min)");
        assertThat(windowProblems("30", "45")).contains(
                "caravan.jobs.nightly.retry.other (45 min) must be shorter than caravan.jobs.nightly.retry.connection (30 min)");
        Map<String, String> p = validJob();
        p.put("caravan.jobs.nightly.retry.connection", "a while");
        assertThatThrownBy(() -> load(p)).hasMessageContaining("caravan.jobs.nightly.retry.connection")
                .hasMessageContaining("'a while' is not a duration");
    }

    @Test
    void testProfilesMayUseWindowsOfSecondsButNeverOtherLongerThanConnection() {
        Map<String, String> p = validJob();
        p.put("caravan.retry.enforce-ranges", "false");
        p.put("caravan.jobs.nightly.retry.connection", "20s");
        p.put("caravan.jobs.nightly.retry.other", "4s");
        assertThat(ConfigChecks.problems(load(p))).isEmpty();
        p.put("caravan.jobs.nightly.retry.other", "30s");
        assertThat(ConfigChecks.problems(load(p))).anyMatch(m -> m.contains("must be shorter than"));
    }

    private static List<String> windowProblems(String connection, String other) {
        Map<String, String> p = validJob();
        p.put("caravan.jobs.nightly.retry.connection", connection);
        p.put("caravan.jobs.nightly.retry.other", other);
        return ConfigChecks.problems(load(p));
    }

    @Test
    void jobNamesMustBeUsableInPaths() {
        assertThat(ConfigChecks.JOB_NAME.matcher("nightly-refresh_2").matches()).isTrue();
        assertThat(ConfigChecks.JOB_NAME.matcher("../etc").matches()).isFalse();
        assertThat(ConfigChecks.JOB_NAME.matcher("a b").matches()).isFalse();
    }

    @Test
    void apiUsersNeedExactlyOnePasswordAndKnownRoles() {
        Map<String, String> p = validJob();
        p.put("caravan.api.users.ops.roles", "admin");
        List<String> problems = ConfigChecks.problems(load(p));
        assertThat(problems).contains("caravan.api.users.ops.password / caravan.api.users.ops.password-file: set exactly one of them",
                "caravan.api.users.ops.roles: unknown role 'admin' (known: viewer, operator)");
    }
}

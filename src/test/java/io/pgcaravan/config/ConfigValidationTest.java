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
class ConfigValidationTest {

    static Map<String, String> validJob() {
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

    static CaravanConfig load(Map<String, String> props) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(CaravanConfig.class)
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
        assertThat(job.dump().format()).isEqualTo(JobConfig.DumpFormat.CUSTOM);
        assertThat(job.restore().mode()).isEqualTo(JobConfig.RestoreMode.SINGLE_TRANSACTION);
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
        p.put("caravan.jobs.nightly.intermediate.drop-dir", "drop");
        p.put("caravan.jobs.nightly.destination.sslmode", "sometimes");
        List<String> problems = ConfigChecks.problems(load(p));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.source.password / caravan.jobs.nightly.source.password-file"));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.dump.jobs: parallel dumps (4) need caravan.jobs.nightly.dump.format=directory"));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.intermediate.drop-dir: must be an absolute path"));
        assertThat(problems).anyMatch(m -> m.startsWith("caravan.jobs.nightly.destination.sslmode: 'sometimes'"));
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

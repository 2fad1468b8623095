package io.pgcaravan.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A job given as data is read and checked exactly as the configuration file's jobs are. */
class JobDefinitionTest {

    static final Validator VALIDATOR = Validation.byDefaultProvider().configure()
            .messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory().getValidator();
    static final ObjectMapper JSON = new ObjectMapper();
    /** A process of the default role and ranges. */
    static final CaravanConfig PROCESS = new io.smallrye.config.SmallRyeConfigBuilder().addDiscoveredConverters().withMapping(CaravanConfig.class).build()
            .getConfigMapping(CaravanConfig.class);

    static final String GOOD = """
            {"source": {"host": "10.0.0.5", "database": "shop", "user": "migrator", "password-file": "/run/secrets/src"},
             "destination": {"host": "rds.example", "database": "shop", "user": "master", "password-env": "CARAVAN_SECRET_DST"},
             "intermediate": {"host": "jump", "user": "caravan", "private-key": "/run/secrets/k", "known-hosts": "/kh", "drop-dir": "/srv/drop"},
             "dump.format": "custom", "retry": {"connection": "12h", "other": "30m"}, "select.include-schemas": ["shop", "app*"]}
            """;

    @Test
    void aJobReadsLikeTheFilesWithNestedOrDottedKeys() throws Exception {
        JobDefinition d = JobDefinition.of("wave-1", JSON.readTree(GOOD), PROCESS, VALIDATOR);
        assertThat(d.job().source().host()).isEqualTo("10.0.0.5");
        assertThat(d.job().source().port()).as("the file's default").isEqualTo(5432);
        assertThat(d.job().destination().passwordEnv()).contains("CARAVAN_SECRET_DST");
        assertThat(d.job().dump().format()).isEqualTo(JobConfig.DumpFormat.CUSTOM);
        assertThat(d.job().retry().connection()).hasHours(12);
        assertThat(d.keys()).containsEntry("select.include-schemas", "shop,app*").containsEntry("source.host", "10.0.0.5");
        // what is stored reads back the same
        assertThat(JobDefinition.of("wave-1", d.keys(), PROCESS, VALIDATOR).job().source().database()).isEqualTo("shop");
    }

    @Test
    void problemsAreTheFilesMessagesNamingTheFilesKeys() throws Exception {
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(GOOD);
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("destination")).remove("host");
        assertThatThrownBy(() -> JobDefinition.of("wave-1", body, PROCESS, VALIDATOR))
                .isInstanceOfSatisfying(JobDefinition.Invalid.class, e -> assertThat(e.problems()).singleElement().asString()
                        .isEqualTo("The config property caravan.jobs.wave-1.destination.host is required but it could not be found in any config source"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("destination")).put("host", "rds.example");
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("source")).put("port", 70000);
        assertThatThrownBy(() -> JobDefinition.of("wave-1", body, PROCESS, VALIDATOR))
                .isInstanceOfSatisfying(JobDefinition.Invalid.class, e -> assertThat(e.problems())
                        .containsExactly("caravan.jobs.wave-1.source.port must be less than or equal to 65535"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("source")).put("port", 5433);
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("retry")).put("other", "13h");
        // ConfigChecks' rules too, word for word
        java.util.List<String> fromChecks = new java.util.ArrayList<>();
        assertThatThrownBy(() -> JobDefinition.of("wave-1", body, PROCESS, VALIDATOR))
                .isInstanceOfSatisfying(JobDefinition.Invalid.class, e -> fromChecks.addAll(e.problems()));
        assertThat(fromChecks).singleElement().asString().startsWith("caravan.jobs.wave-1.retry.");
    }

    @Test
    void secretsAreReferencesNeverValues() throws Exception {
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(GOOD);
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("source")).put("password", "hunter2");
        assertThatThrownBy(() -> JobDefinition.of("wave-1", body, PROCESS, VALIDATOR))
                .isInstanceOfSatisfying(JobDefinition.Invalid.class, e -> assertThat(e.problems()).singleElement().asString()
                        .contains("caravan.jobs.wave-1.source.password").contains("password-file").contains("password-env")
                        .doesNotContain("hunter2"));
    }

    @Test
    void secretsAreReadOnlyFromWhereTheProcessAllows() throws Exception {
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(GOOD);
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("source")).put("password-file", "/run/secrets/../../proc/self/environ");
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("destination")).put("password-env", "QUARKUS_DATASOURCE_PGSTORE_PASSWORD");
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("intermediate")).put("private-key", "relative/key");
        assertThatThrownBy(() -> JobDefinition.of("wave-1", body, PROCESS, VALIDATOR))
                .isInstanceOfSatisfying(JobDefinition.Invalid.class, e -> assertThat(e.problems()).hasSize(3)
                        .anySatisfy(p -> assertThat(p).startsWith("caravan.jobs.wave-1.source.password-file: ").contains("caravan.api.job-secrets.dirs"))
                        .anySatisfy(p -> assertThat(p).startsWith("caravan.jobs.wave-1.destination.password-env: ").contains("CARAVAN_SECRET_"))
                        .anySatisfy(p -> assertThat(p).startsWith("caravan.jobs.wave-1.intermediate.private-key: ")));
    }

    @Test
    void anUnknownKeyOrABadNameIsRefused() throws Exception {
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(GOOD);
        body.put("dump.fromat", "custom");
        assertThatThrownBy(() -> JobDefinition.of("wave-1", body, PROCESS, VALIDATOR))
                .isInstanceOfSatisfying(JobDefinition.Invalid.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("caravan.jobs.wave-1.dump.fromat")));
        assertThatThrownBy(() -> JobDefinition.of("../etc", JSON.readTree(GOOD), PROCESS, VALIDATOR)).isInstanceOf(JobDefinition.Invalid.class)
                .hasMessageContaining("name");
    }
}

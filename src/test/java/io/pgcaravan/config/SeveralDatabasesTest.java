package io.pgcaravan.config;

import io.pgcaravan.pg.SourceDatabases;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A job of several databases: how it is configured, checked, expanded and seen by each of its runs. */
class SeveralDatabasesTest {

    private static final String K = "caravan.jobs.nightly.";

    private static Map<String, String> several() {
        Map<String, String> p = ConfigValidationTest.validJob();
        p.remove(K + "source.database");
        p.remove(K + "destination.database");
        p.put(K + "source.databases", "shop_*,billing");
        return p;
    }

    private static List<String> problems(Map<String, String> p) {
        return ConfigChecks.problems(ConfigValidationTest.load(p));
    }

    @Test
    void aJobOfSeveralDatabasesIsValidAndEachRunSeesItsOwn() {
        Map<String, String> p = several();
        p.put(K + "destination.database", "{database}_new");
        p.put(K + "source.max-concurrent-runs", "2");
        p.put(K + "destination.max-concurrent-runs", "1");
        CaravanConfig c = ConfigValidationTest.load(p);
        assertThat(ConfigChecks.problems(c)).isEmpty();
        JobConfig job = c.jobs().get("nightly");
        assertThat(job.severalDatabases()).isTrue();
        JobConfig one = OneDatabase.of(job, "shop_eu");
        assertThat(one.source().database()).isEqualTo("shop_eu");
        assertThat(one.source().databases()).isEmpty();
        assertThat(one.destination().database()).isEqualTo("shop_eu_new");
        assertThat(one.source().maxConcurrentRuns()).contains(2);
        assertThat(one.destination().maxConcurrentRuns()).contains(1);
        assertThat(one.source().host()).isEqualTo("db1");
        assertThat(one.destination().host()).isEqualTo("db2");
        assertThat(OneDatabase.of(one, "billing").destination().database()).as("from the job, not from another run's view of it")
                .isEqualTo("billing_new");
    }

    @Test
    void theDestinationDatabaseDefaultsToTheSourceDatabasesName() {
        Map<String, String> p = ConfigValidationTest.validJob();
        p.remove(K + "destination.database");
        CaravanConfig c = ConfigValidationTest.load(p);
        assertThat(ConfigChecks.problems(c)).isEmpty();
        JobConfig run = OneDatabase.of(c.jobs().get("nightly"), null);
        assertThat(run.destination().database()).isEqualTo("shop");
        assertThat(OneDatabase.of(ConfigValidationTest.load(several()).jobs().get("nightly"), "billing").destination().database())
                .isEqualTo("billing");
    }

    @Test
    void aJobOfOneDatabaseIsTheSameJobForItsRuns() {
        JobConfig job = ConfigValidationTest.load(ConfigValidationTest.validJob()).jobs().get("nightly");
        JobConfig run = OneDatabase.of(job, null);
        assertThat(run.source().database()).isEqualTo("shop");
        assertThat(run.destination().database()).isEqualTo("shop");
        assertThat(run.severalDatabases()).isFalse();
    }

    @Test
    void theChecksNameWhatToFix() {
        Map<String, String> both = several();
        both.put(K + "source.database", "shop");
        assertThat(problems(both)).contains(K + "source.database / " + K + "source.databases: set only one of them");

        Map<String, String> neither = ConfigValidationTest.validJob();
        neither.remove(K + "source.database");
        assertThat(problems(neither)).anyMatch(m -> m.startsWith(K + "source.database: missing (or " + K + "source.databases"));

        Map<String, String> oneTarget = several();
        oneTarget.put(K + "destination.database", "shop");
        assertThat(problems(oneTarget)).anyMatch(m -> m.startsWith(K + "destination.database: a job of several databases needs {database}"));

        Map<String, String> onDestination = ConfigValidationTest.validJob();
        onDestination.put(K + "destination.databases", "a,b");
        assertThat(problems(onDestination)).anyMatch(m -> m.startsWith(K + "destination.databases: the destination takes one name"));

        Map<String, String> excludeAlone = ConfigValidationTest.validJob();
        excludeAlone.put(K + "source.exclude-databases", "tmp_*");
        assertThat(problems(excludeAlone)).anyMatch(m -> m.startsWith(K + "source.exclude-databases: only leaves databases out"));

        Map<String, String> placeholderAtSource = ConfigValidationTest.validJob();
        placeholderAtSource.put(K + "source.database", "x_{database}");
        assertThat(problems(placeholderAtSource)).anyMatch(m -> m.startsWith(K + "source.database: {database} stands for"));

        Map<String, String> zero = several();
        zero.put(K + "source.max-concurrent-runs", "0");
        assertThatThrownBy(() -> ConfigValidationTest.load(zero)).hasMessageContaining(K + "source.max-concurrent-runs");
    }

    @Test
    void namesAreKeptAsGivenAndPatternsMatchTheSourcesDatabases() {
        List<String> existing = List.of("postgres", "shop_eu", "shop_us", "shop_tmp", "billing", "rdsadmin");
        assertThat(SourceDatabases.select(existing, List.of("shop_*", "billing", "missing"), List.of("*_tmp"), "postgres"))
                .as("patterns sorted in place, names kept even if absent (their run says so), exclusions last")
                .containsExactly("shop_eu", "shop_us", "billing", "missing");
        assertThat(SourceDatabases.select(existing, List.of("*"), List.of("rdsadmin"), "postgres"))
                .as("never the maintenance database by pattern")
                .containsExactly("billing", "shop_eu", "shop_tmp", "shop_us");
        assertThat(SourceDatabases.select(existing, List.of("postgres", "shop_e?"), List.of(), "postgres"))
                .as("named, it is taken; ? is one character")
                .containsExactly("postgres", "shop_eu");
        assertThat(SourceDatabases.select(existing, List.of("shop_eu", "shop_*"), List.of(), "postgres"))
                .as("each once").containsExactly("shop_eu", "shop_tmp", "shop_us");
        assertThat(SourceDatabases.select(List.of("a.b", "axb"), List.of("a.*"), List.of(), "postgres"))
                .as("other characters are themselves").containsExactly("a.b");
    }
}

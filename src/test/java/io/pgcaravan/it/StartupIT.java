package io.pgcaravan.it;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged application refuses to start on a broken configuration, naming what to fix. */
class StartupIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @Test
    void outOfRangePortStopsTheStartAndNamesTheProperty() throws Exception {
        Result r = start(Map.of("CARAVAN_JOBS_SAMPLE_SOURCE_PORT", "70000"));
        assertThat(r.exit).isNotZero();
        assertThat(r.output).contains("caravan.jobs.sample.source.port");
    }

    @Test
    void conflictingOptionsStopTheStartAndNameTheProperties() throws Exception {
        Result r = start(Map.of("CARAVAN_JOBS_SAMPLE_DUMP_FORMAT", "custom", "CARAVAN_JOBS_SAMPLE_DUMP_JOBS", "4"));
        assertThat(r.exit).isNotZero();
        assertThat(r.output).contains("caravan.jobs.sample.dump.jobs: parallel dumps (4) need caravan.jobs.sample.dump.format=directory");
    }

    @Test
    void retryWindowsOutsideTheirRangesStopTheStart() throws Exception {
        Result r = start(Map.of("CARAVAN_JOBS_SAMPLE_RETRY_CONNECTION", "5", "CARAVAN_JOBS_SAMPLE_RETRY_OTHER", "5"));
        assertThat(r.exit).isNotZero();
        assertThat(r.output).contains("caravan.jobs.sample.retry.connection: must be between 10 and 1440 minutes, got 5 min")
                .contains("caravan.jobs.sample.retry.other (5 min) must be shorter than caravan.jobs.sample.retry.connection (5 min)");
    }

    record Result(int exit, String output) {
    }

    private static Result start(Map<String, String> env) throws Exception {
        assertThat(JAR).as("packaged application").exists();
        Path log = Files.createTempFile("startup", ".log");
        ProcessBuilder pb = new ProcessBuilder(List.of("java",
                        "-Dquarkus.config.locations=config/local-stack.properties", "-jar", JAR.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().put("CARAVAN_DATA_DIR", "./target/startup-it");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the application started although its configuration is broken: "
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}

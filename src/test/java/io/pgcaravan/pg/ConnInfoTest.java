package io.pgcaravan.pg;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConnInfoTest {

    @Test
    void quotesValuesTheWayLibpqReadsThem() {
        assertThat(ConnInfo.quote("plain")).isEqualTo("'plain'");
        assertThat(ConnInfo.quote("it's a \\ path")).isEqualTo("'it\\'s a \\\\ path'");
    }

    @Test
    void sessionSettingsTravelInTheOptionsParameter() {
        var source = io.pgcaravan.config.ConfigValidationTest.load(io.pgcaravan.config.ConfigValidationTest.validJob())
                .jobs().get("nightly").source();
        String conninfo = ConnInfo.of(source, "shop", java.nio.file.Path.of("/run/pass"),
                new java.util.TreeMap<>(java.util.Map.of("maintenance_work_mem", "256MB", "synchronous_commit", "off")));
        assertThat(conninfo).contains("passfile='/run/pass'")
                .endsWith("options='-c maintenance_work_mem=256MB -c synchronous_commit=off'");
        assertThat(ConnInfo.of(source, "shop", null)).doesNotContain("options=");
    }

    @Test
    void passfileFieldsEscapeColonAndBackslash() {
        assertThat(PassFiles.escape("p:w\\d")).isEqualTo("p\\:w\\\\d");
    }

    @Test
    void identifiersAreAlwaysQuoted() {
        assertThat(PgConnections.qualified("My Schema", "ta\"ble")).isEqualTo("\"My Schema\".\"ta\"\"ble\"");
        assertThat(PgConnections.literal("en_US.UTF-8'")).isEqualTo("'en_US.UTF-8'''");
    }

    @Test
    void readsToolMajorVersions() {
        assertThat(PgTools.parseMajor("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)")).contains(15);
        assertThat(PgTools.parseMajor("pg_restore (PostgreSQL) 17beta1")).contains(17);
        assertThat(PgTools.parseMajor("command not found")).isEmpty();
    }
}

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

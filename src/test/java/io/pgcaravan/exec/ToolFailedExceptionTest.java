package io.pgcaravan.exec;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ToolFailedExceptionTest {

    @Test
    void aRefusedPermissionSaysWhatWouldAllowItAndThatTheRunWaitsForIt() {
        assertThat(new ToolFailedException("pg_restore", 1, List.of(
                "pg_restore: error: could not execute query: ERROR:  must be owner of table orders")).getMessage())
                .contains("must be owner of table orders").contains("roles.map.<role>=<login>").contains("destination.ownership")
                .contains("waiting for that");
        assertThat(new ToolFailedException("pg_restore", 1, List.of(
                "pg_restore: error: could not execute query: ERROR:  permission denied to create event trigger \"audit\"",
                "HINT:  Must be superuser to create an event trigger.")).getMessage())
                .contains("destination.superuser-only");
        assertThat(new ToolFailedException("pg_dump", 1, List.of("pg_dump: error: connection to server failed")).getMessage())
                .isEqualTo("pg_dump exited with 1: pg_dump: error: connection to server failed");
    }
}

package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** roles.sql keeps only the roles a database needs, with the memberships among them. */
class RolesFileTest {

    @Test
    void onlyTheNeededRolesAndTheirMembershipsAmongThemStay() {
        String script = """
                --
                -- Roles
                --

                CREATE ROLE app;
                ALTER ROLE app WITH LOGIN PASSWORD 'SCRAM-SHA-256$x';
                CREATE ROLE "Readers";
                ALTER ROLE "Readers" WITH NOLOGIN;
                COMMENT ON ROLE "Readers" IS 'read';
                CREATE ROLE dba;
                ALTER ROLE dba WITH SUPERUSER LOGIN;
                ALTER ROLE dba SET work_mem TO '1GB';
                GRANT "Readers" TO app GRANTED BY postgres;
                GRANT "Readers" TO dba GRANTED BY postgres;
                """;
        RolesFile.Selected selected = RolesFile.select(script, Set.of("app", "Readers"));
        assertThat(selected.kept()).containsExactly("app", "Readers");
        assertThat(selected.leftOut()).containsExactly("dba");
        assertThat(selected.script()).contains("CREATE ROLE app;", "COMMENT ON ROLE \"Readers\"", "GRANT \"Readers\" TO app GRANTED BY postgres;")
                .doesNotContain("dba").startsWith("--\n-- Roles");
    }
}

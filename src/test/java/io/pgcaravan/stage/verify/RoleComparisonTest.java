package io.pgcaravan.stage.verify;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The roles a run created, as it created them, against pg_dumpall of the destination. */
class RoleComparisonTest {

    private static final List<String> APPLIED = List.of(
            "CREATE ROLE app;",
            "ALTER ROLE app WITH LOGIN PASSWORD '***' CONNECTION LIMIT 5;",
            "CREATE ROLE \"Group\";",
            "ALTER ROLE \"Group\" WITH NOLOGIN;",
            "COMMENT ON ROLE \"Group\" IS 'a group';",
            "ALTER ROLE app SET work_mem TO '8MB';",
            "GRANT \"Group\" TO app WITH ADMIN OPTION;",
            "GRANT rds_superuser TO app;");

    private static final String FOUND = """
            CREATE ROLE app;
            ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5;
            CREATE ROLE "Group";
            ALTER ROLE "Group" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            COMMENT ON ROLE "Group" IS 'a group';
            -- User Config "app"
            ALTER ROLE app SET work_mem TO '8MB';
            GRANT "Group" TO app WITH ADMIN OPTION GRANTED BY master;
            GRANT rds_superuser TO app GRANTED BY master;
            """;

    @Test
    void rolesMadeAsTheRunMadeThemMatchWithTheirDefaultsSpelledOutAndTheirGrantorAside() {
        Verification.RoleCheck check = RoleComparison.compare(APPLIED, List.of("app", "Group"), List.of("master"), FOUND);
        assertThat(check.differences()).isEmpty();
        assertThat(check.compared()).isEqualTo(2);
        assertThat(check.kept()).containsExactly("master");
    }

    @Test
    void aChangedAttributeALostMembershipAndAMissingRoleAreNamed() {
        String broken = FOUND.replace("CONNECTION LIMIT 5", "CONNECTION LIMIT 6").replace("NOLOGIN NOREPLICATION", "LOGIN NOREPLICATION")
                .replace("GRANT rds_superuser TO app GRANTED BY master;\n", "");
        Verification.RoleCheck check = RoleComparison.compare(APPLIED, List.of("app", "Group", "gone"), List.of(), broken);
        assertThat(check.differences()).extracting(Verification.SchemaDifference::describe).containsExactlyInAnyOrder(
                "ROLE app: attribute, expected CONNECTION LIMIT 5", "ROLE app: attribute, found CONNECTION LIMIT 6",
                "ROLE app: attribute, expected member of rds_superuser",
                "ROLE Group: attribute, expected NOLOGIN", "ROLE Group: attribute, found LOGIN",
                "ROLE gone: missing on the destination");
    }
}

package io.pgcaravan.stage.prepare;

import io.pgcaravan.config.JobConfig;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** roles.sql comes through the drop directory: a line that smuggles a second statement is not run. */
class RoleScriptTest {

    @Test
    void aLineWithASecondStatementIsLeftOutAndExistingRolesAreNeverAltered() {
        String script = """
                CREATE ROLE app;
                ALTER ROLE app WITH LOGIN;
                GRANT readers TO app; ALTER ROLE postgres WITH PASSWORD 'taken';
                ALTER ROLE app SET work_mem TO '8MB'; ALTER ROLE postgres WITH SUPERUSER;
                COMMENT ON ROLE app IS 'a /* comment */ inside a literal is fine';
                """;
        RoleScript.Rewritten rewritten = RoleScript.rewrite(script, JobConfig.Flavour.POSTGRES, Set.of("postgres", "readers"));
        assertThat(rewritten.statements()).extracting(RoleScript.Statement::sql).containsExactly(
                "CREATE ROLE app;", "ALTER ROLE app WITH LOGIN;", "COMMENT ON ROLE app IS 'a /* comment */ inside a literal is fine';");
        assertThat(rewritten.warnings()).filteredOn(w -> w.startsWith("left out a line that is not one statement")).hasSize(2);
    }
}

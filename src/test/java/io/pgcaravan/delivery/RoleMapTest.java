package io.pgcaravan.delivery;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RoleMapTest {

    private final RoleMap map = RoleMap.of(Map.of("Odd One", "keeper"), List.of("postgres", "caravan_admin"), "master", false);

    /**
     * A role mapped to a name that is a key word is written as pg_dump writes it: quoted. Checked
     * against the server itself, word by word: quote_ident agrees for every key word it has, and
     * for plain and odd names.
     */
    @Test
    void aMappedNameIsQuotedExactlyWhereTheServerWouldQuoteIt() throws Exception {
        assertThat(RoleMap.of(Map.of("alice", "user"), List.of(), "master", true).renamed("ALTER TABLE t OWNER TO alice"))
                .isEqualTo("ALTER TABLE t OWNER TO \"user\"");
        try (java.sql.Connection c = io.pgcaravan.it.Stack.source("postgres");
             java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT w, quote_ident(w) FROM (SELECT word FROM pg_get_keywords() "
                     + "UNION ALL VALUES ('plain_name'), ('Mixed'), ('with space'), ('dollar$'), ('_x1')) k(w)")) {
            int words = 0;
            while (rs.next()) {
                assertThat(RoleMap.pgDumpIdent(rs.getString(1))).as(rs.getString(1)).isEqualTo(rs.getString(2));
                words++;
            }
            assertThat(words).isGreaterThan(400);
        }
    }

    @Test
    void theSourcesSuperusersMapToANonSuperuserLoginAndTheConfiguredMapComesOnTop() {
        assertThat(map.to("postgres")).isEqualTo("master");
        assertThat(map.to("Odd One")).isEqualTo("keeper");
        assertThat(map.to("alice")).isEqualTo("alice");
        assertThat(map.maps("alice")).isFalse();
        assertThat(RoleMap.of(Map.of(), List.of("postgres"), "master", true).isEmpty()).as("a superuser login maps nothing").isTrue();
        assertThat(RoleMap.of(Map.of("postgres", "postgres"), List.of("postgres"), "master", false).isEmpty())
                .as("roles.map.x=x keeps a superuser as itself").isTrue();
        assertThat(RoleMap.of(Map.of(), List.of("master"), "master", false).isEmpty()).as("named like the login").isTrue();
    }

    @Test
    void rolesAreRenamedWherePgDumpNamesThemAndNowhereElse() {
        assertThat(map.renamed("ALTER TABLE public.postgres OWNER TO postgres")).isEqualTo("ALTER TABLE public.postgres OWNER TO master");
        assertThat(map.renamed("ALTER LARGE OBJECT 510001 OWNER TO caravan_admin")).isEqualTo("ALTER LARGE OBJECT 510001 OWNER TO master");
        assertThat(map.renamed("GRANT SELECT(\"postgres\",amount) ON TABLE \"Sales\".\"Orders\" TO postgres, alice, \"Odd One\" WITH GRANT OPTION"))
                .isEqualTo("GRANT SELECT(\"postgres\",amount) ON TABLE \"Sales\".\"Orders\" TO master, alice, keeper WITH GRANT OPTION");
        assertThat(map.renamed("REVOKE ALL ON SCHEMA postgres FROM postgres CASCADE")).isEqualTo("REVOKE ALL ON SCHEMA postgres FROM master CASCADE");
        assertThat(map.renamed("ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC"))
                .isEqualTo("ALTER DEFAULT PRIVILEGES FOR ROLE master IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC");
        assertThat(map.renamed("SET SESSION AUTHORIZATION caravan_admin")).isEqualTo("SET SESSION AUTHORIZATION master");
        assertThat(map.renamed("ALTER ROLE postgres IN DATABASE db SET search_path TO 'postgres'"))
                .isEqualTo("ALTER ROLE master IN DATABASE db SET search_path TO 'postgres'");
        assertThat(map.renamed("COMMENT ON TABLE t IS 'TO postgres'")).isEqualTo("COMMENT ON TABLE t IS 'TO postgres'");
        assertThat(map.renamed("GRANT ALL ON FUNCTION f(postgres integer) TO alice GRANTED BY postgres"))
                .isEqualTo("GRANT ALL ON FUNCTION f(postgres integer) TO alice GRANTED BY master");
        assertThat(RoleMap.of(Map.of("a", "Mixed Case"), List.of(), "m", false).renamed("GRANT SELECT ON TABLE t TO a"))
                .isEqualTo("GRANT SELECT ON TABLE t TO \"Mixed Case\"");
    }

    @Test
    void theRolesAStatementActsAsAreTheNewOwnerTheGrantorAndTheDefaultPrivilegesRole() {
        assertThat(RoleMap.actingRoles("ALTER SCHEMA app OWNER TO nasty_owner")).containsExactly("nasty_owner");
        assertThat(RoleMap.actingRoles("SET SESSION AUTHORIZATION nasty_lead")).containsExactly("nasty_lead");
        assertThat(RoleMap.actingRoles("ALTER DEFAULT PRIVILEGES FOR ROLE \"Nasty\" IN SCHEMA app GRANT SELECT ON TABLES TO nasty_clerk"))
                .containsExactly("Nasty");
        assertThat(RoleMap.actingRoles("GRANT SELECT ON TABLE t TO nasty_clerk")).isEmpty();
    }
}

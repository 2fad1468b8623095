package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Run history kept in PostgreSQL instead of the embedded H2, when configured so. */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
@TestProfile(PostgresRunStoreTest.PgStore.class)
public class PostgresRunStoreTest {

    static final String DB = "caravan_runs_it";

    public static class PgStore implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.datasource.active", "false",
                    "quarkus.datasource.pgstore.active", "true",
                    "quarkus.datasource.pgstore.jdbc.url", "jdbc:postgresql://127.0.0.1:" + Stack.DESTINATION_PORT + "/" + DB,
                    "quarkus.datasource.pgstore.username", Stack.ADMIN,
                    "quarkus.datasource.pgstore.password", Stack.destinationPassword());
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FreshRunDatabase.class));
        }
    }

    /** An empty database for the run history, before the application starts. */
    public static class FreshRunDatabase implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try (Connection c = Stack.destination("postgres"); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
                st.execute("CREATE DATABASE " + DB);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return Map.of();
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void runsAreRecordedInPostgres() throws Exception {
        String job = "it-api";
        Stack.freshJob(job);

        String id = Api.startRun(job);
        assertThat(Api.awaitFinished(id).getString("status")).isEqualTo("SUCCEEDED");

        try (Connection c = Stack.destination(DB);
             PreparedStatement ps = c.prepareStatement("SELECT r.status, count(s.stage) FROM caravan_run r "
                     + "JOIN caravan_stage s ON s.run_id = r.id AND s.status = 'DONE' WHERE r.id = ? GROUP BY r.status")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("SUCCEEDED");
                assertThat(rs.getInt(2)).isEqualTo(io.pgcaravan.store.Stages.ALL.size());
            }
        }
    }
}

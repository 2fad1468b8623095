package io.pgcaravan.run;

import io.agroal.api.AgroalDataSource;
import io.pgcaravan.config.CaravanConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.component.quartz.QuartzComponent;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * Where the jobs' cron triggers (routes/schedules.yaml) live: in memory for one process; in a
 * fleet, in Quartz's clustered JDBC job store in the shared run history (db/postgresql), so that
 * each trigger fires on one replica only, and a replica that dies hands its triggers to the others.
 * <p>
 * Quarkus's own Quartz extension fixes the store type and its datasource at build time; one build
 * serves both the single process (H2, no Quartz tables) and the fleet, so the Camel component's
 * scheduler is configured here, at run time, with the same Quartz job store
 * ({@code JobStoreTX}: the app has no JTA transaction manager for {@code jdbc-cmt}).
 */
@ApplicationScoped
public class ScheduleStore {

    /** Quartz's name of the connections it takes from the "pgstore" datasource. */
    private static final String DATA_SOURCE = "caravanControl";

    @Produces
    @Singleton
    @Named("quartz")
    QuartzComponent quartz(CaravanConfig config, @io.quarkus.agroal.DataSource("pgstore") Instance<AgroalDataSource> pg) {
        QuartzComponent quartz = new QuartzComponent();
        if (!config.fleet().enabled()) {
            return quartz;
        }
        DBConnectionManager.getInstance().addConnectionProvider(DATA_SOURCE, new ConnectionProvider() {
            @Override
            public Connection getConnection() throws SQLException {
                return pg.get().getConnection();
            }

            @Override
            public void shutdown() {
                // the datasource is Quarkus's to close
            }

            @Override
            public void initialize() {
                // nothing: the datasource is made by Quarkus
            }
        });
        quartz.setProperties(Map.of(
                // the same scheduler name on every replica: that is what makes them one cluster
                "org.quartz.scheduler.instanceName", "pg-caravan",
                "org.quartz.scheduler.instanceId", config.fleet().replicaName(),
                "org.quartz.scheduler.skipUpdateCheck", "true",
                "org.quartz.threadPool.threadCount", "2",
                "org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX",
                "org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate",
                "org.quartz.jobStore.dataSource", DATA_SOURCE,
                "org.quartz.jobStore.isClustered", "true",
                // a dead replica's triggers move to the others after about this long
                "org.quartz.jobStore.clusterCheckinInterval", "5000"));
        // one scheduler name across the fleet, not one per Camel context
        quartz.setPrefixInstanceName(false);
        return quartz;
    }
}

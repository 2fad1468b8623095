package io.pgcaravan.config;

import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * {@code caravan.fleet.*}: several replicas sharing one run history in PostgreSQL (the "pgstore"
 * datasource). Each run is claimed by one replica at a time, which holds a lease on it in the run
 * history and renews it while it works; a replica that stops renewing loses its runs to the others
 * once the lease has run out.
 */
public interface FleetConfig {

    /** Whether this process is a replica of a fleet (needs {@code quarkus.datasource.pgstore.active=true}). */
    @WithDefault("false")
    boolean enabled();

    /**
     * This replica's name in the run history (who has a run, who had it before a takeover).
     * Unset: the host name, which is the pod's name in Kubernetes. Unique within the fleet.
     */
    Optional<String> replica();

    /** This replica's name: {@link #replica()}, or the host name. */
    default String replicaName() {
        return replica().orElse(HostName.NAME);
    }

    /**
     * A directory under {@code base} that is this process's alone: the replicas of a fleet share
     * the data directory (the runs' work directories, staging copies and logs, which a takeover
     * goes on with), but not the pid files of their tools or the passfiles of their runs, which
     * each replica clears of its killed predecessor's when it starts.
     */
    default java.nio.file.Path own(java.nio.file.Path base) {
        return enabled() ? base.resolve(replicaName()) : base;
    }

    /**
     * Where this replica runs (e.g. {@code dc1}): it claims the export half only of runs whose job's
     * {@code source.zone} is this zone, the import half only of those whose {@code destination.zone}
     * is. A replica without a zone takes the halves of jobs that name none.
     */
    Optional<String> zone();

    /**
     * How long a claim holds without being renewed: a replica that dies loses its runs this long
     * after its last renewal, and another replica takes them over at their first unfinished stage.
     */
    @WithDefault("30s")
    @WithConverter(RetryDuration.class)
    Duration lease();

    /**
     * How often a replica renews the leases of the runs it works on, in milliseconds; well under
     * the lease: a replica that could not renew for two thirds of the lease stops its work on those
     * runs itself, before another replica may take them.
     */
    @WithDefault("10000")
    @jakarta.validation.constraints.Min(100)
    long renewEveryMs();

    /** How often a replica looks for runs to claim while it has room for more ({@code caravan.runs.concurrency}), in milliseconds. */
    @WithDefault("1000")
    @jakarta.validation.constraints.Min(100)
    long pollMs();
}

package io.pgcaravan.run;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.FleetConfig;
import io.pgcaravan.exec.ToolExecutor;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.store.RunLeases;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.track.RunLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import org.apache.camel.CamelContext;
import org.apache.camel.Header;
import org.jboss.logging.Logger;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This replica's part in a fleet (routes/fleet.yaml): it claims runs from the shared run history
 * while it has room for more, renews the leases of the runs it works on, stops working on a run it
 * no longer holds, and lets go of a run when its half is done. Without a fleet every method is a
 * no-op and the process queues its runs to itself (RunCommands). Claiming, renewing and letting
 * go take turns (one lock): a renewal never counts as lost a run let go and claimed again meanwhile.
 */
@ApplicationScoped
@Named("fleetClaims")
public class FleetClaims {

    private static final Logger LOG = Logger.getLogger(FleetClaims.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunLeases leases;
    @Inject
    RunStore store;
    @Inject
    RunDispatch dispatch;
    @Inject
    RunLog runLog;
    @Inject
    ToolExecutor tools;
    @Inject
    ActiveRuns activeRuns;
    @Inject
    CamelContext camel;

    /** The runs this replica holds a lease on. */
    private final Set<String> mine = ConcurrentHashMap.newKeySet();
    /** When the leases were last renewed (System.nanoTime), to stop in time when they cannot be. */
    private volatile long renewedAt = System.nanoTime();

    private FleetConfig fleet() {
        return config.fleet();
    }

    /** Claims runs while this replica has room, and sets each going on its first unfinished stage. */
    public synchronized void poll() {
        if (!fleet().enabled()) {
            return;
        }
        boolean exports = config.role() != CaravanConfig.Role.IMPORT;
        boolean imports = config.role() != CaravanConfig.Role.EXPORT && config.importHalf().enabled();
        String me = fleet().replicaName();
        while (mine.size() < config.runs().concurrency()) {
            var claim = leases.claim(me, fleet().zone().orElse(null), fleet().lease(), exports, imports);
            if (claim.isEmpty()) {
                return;
            }
            String runId = claim.get().runId();
            mine.add(runId);
            activeRuns.clearMoved(runId);
            if (claim.get().takeover()) {
                String stage = store.stages(runId).stream().filter(s -> s.status() != StageStatus.DONE)
                        .map(s -> s.stage()).findFirst().orElse("report");
                String why = String.format("replica %s stopped renewing its lease (it ran out at %s); taken over by %s",
                        claim.get().previousReplica(), claim.get().previousLeaseUntil(), me);
                store.recordAttempt(runId, stage, OffsetDateTime.now(ZoneOffset.UTC), "LEASE", why, true);
                runLog.warn(LOG, runId, why + ", at " + stage);
            } else {
                runLog.info(LOG, runId, "claimed by replica " + me);
            }
            boolean started;
            try {
                started = dispatch.send(runId);
            } catch (RuntimeException e) {
                LOG.warnf("run %s: claimed but cannot be started here (%s)", runId, e.getMessage());
                started = false;
            }
            if (!started) {
                // let go, and no more claims in this poll: the next might be the same run again
                release(runId);
                return;
            }
        }
    }

    /**
     * Renews this replica's leases. A run no longer held (cancelled on another replica, or taken
     * over) is stopped here; so is every run when the leases could not be renewed for two thirds
     * of their length, before another replica may take them over.
     */
    public synchronized void renew() {
        if (!fleet().enabled() || mine.isEmpty()) {
            renewedAt = System.nanoTime();
            return;
        }
        Set<String> asked = new HashSet<>(mine);
        Set<String> held;
        try {
            held = leases.renew(fleet().replicaName(), asked, fleet().lease());
            renewedAt = System.nanoTime();
        } catch (RuntimeException e) {
            long since = (System.nanoTime() - renewedAt) / 1_000_000;
            LOG.warnf("cannot renew the leases of %d runs for %d ms: %s", asked.size(), since, e.getMessage());
            if (since < fleet().lease().toMillis() * 2 / 3) {
                return;
            }
            held = Set.of();
        }
        for (String runId : asked) {
            if (!held.contains(runId)) {
                mine.remove(runId);
                if (store.find(runId).map(r -> r.status() == RunStatus.SUCCEEDED || r.status() == RunStatus.FAILED).orElse(false)) {
                    continue; // it ended here a moment ago, and its half is letting go
                }
                activeRuns.markMoved(runId);
                int stopped = tools.stopAll(runId) + activeRuns.stopWork(runId);
                runLog.warn(LOG, runId, String.format("no longer held by replica %s (ended elsewhere, or its lease ran out): "
                        + "its work here is stopped (%d tools and loads)", fleet().replicaName(), stopped));
            }
        }
    }

    /** The half of the run that this replica worked on is over: any replica may claim what is left of it. */
    public synchronized void release(@Header(RunHeaders.RUN_ID) String runId) {
        if (fleet().enabled()) {
            mine.remove(runId);
            // (only if this replica holds it: the statement names the replica)
            leases.release(fleet().replicaName(), runId);
        }
    }

    /**
     * Whether this process may still record the run's progress: always alone; in a fleet only
     * while this replica holds the run's lease (a replica that lost it records nothing more).
     */
    public boolean mayRecord(@Header(RunHeaders.RUN_ID) String runId) {
        return !fleet().enabled() || !activeRuns.moved(runId) && leases.holds(fleet().replicaName(), runId);
    }

    /**
     * SIGTERM (a rolling update, a node drained): this replica stops claiming, which turns its
     * readiness false (PipelineReadiness: a route that should run is stopped), and hands back the
     * runs it holds: nothing more of them starts here, their tools are stopped, and once their
     * stages here have stopped (or after {@link #HANDBACK_WAIT_MS}) their leases are let go, so that
     * another replica claims each at once instead of when its lease would have run out, and goes
     * on at its first unfinished stage. This one records nothing more of them.
     */
    void drain(@Observes @Priority(1) ShutdownEvent event) throws InterruptedException {
        if (!fleet().enabled()) {
            return;
        }
        try {
            camel.getRouteController().stopRoute("fleet-claims");
        } catch (Exception e) {
            LOG.warnf("cannot stop claiming runs: %s", e.getMessage());
        }
        synchronized (this) {
            List<String> held = List.copyOf(mine);
            for (String runId : held) {
                activeRuns.markMoved(runId);
                int stopped = tools.stopAll(runId) + activeRuns.stopWork(runId);
                runLog.warn(LOG, runId, String.format("handed back by replica %s, which is shutting down (%d tools and loads stopped): "
                        + "the next replica to claim it goes on at its first unfinished stage", fleet().replicaName(), stopped));
            }
            long until = System.nanoTime() + HANDBACK_WAIT_MS * 1_000_000;
            while (held.stream().anyMatch(this::workedOnHere) && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            for (String runId : held) {
                mine.remove(runId);
                try {
                    leases.release(fleet().replicaName(), runId);
                } catch (RuntimeException e) {
                    LOG.warnf("run %s: cannot hand it back (%s); the others take it when its lease runs out", runId, e.getMessage());
                }
            }
        }
    }

    /** How long a replica that shuts down waits for the stages of the runs it hands back to stop here. */
    static final long HANDBACK_WAIT_MS = 15_000;

    private boolean workedOnHere(String runId) {
        return activeRuns.working(runId, io.pgcaravan.live.Half.EXPORT) || activeRuns.working(runId, io.pgcaravan.live.Half.IMPORT);
    }
}

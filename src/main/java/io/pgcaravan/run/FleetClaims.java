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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This replica's part in a fleet (routes/fleet.yaml): it claims runs from the shared run history
 * while it has room for more, renews the leases of the runs it works on, stops working on a run it
 * no longer holds, and lets go of a run when its half is done. Without a fleet every method is a
 * no-op and the process queues its runs to itself (RunCommands). Claiming, renewing and letting
 * go take turns (one lock): a renewal never counts as lost a run let go and claimed again meanwhile.
 * Longer than 250 lines because everything that touches the replica's set of held runs is here,
 * under that one lock: split, the lock would have to be shared between classes.
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
    @Inject
    io.pgcaravan.stage.PipelinedRestore pipelined;

    /** The runs this replica holds a lease on, with the number of its claim of each. */
    private final Map<String, Integer> mine = new ConcurrentHashMap<>();
    /**
     * Runs this replica claimed but could not start (their delivery not in sight here), and until
     * when it leaves them to the others: the oldest run first would otherwise be claimed again at
     * every poll, and nothing behind it ever.
     */
    private final Map<String, Long> declined = new ConcurrentHashMap<>();
    /** When the leases were last renewed (System.nanoTime, taken before the renewal), to stop in time when they cannot be. */
    private volatile long renewedAt = System.nanoTime();

    private FleetConfig fleet() {
        return config.fleet();
    }

    /**
     * Stops the runs held here that were cancelled (through any replica), then claims runs while
     * this replica has room, and sets each going on its first unfinished stage.
     */
    public synchronized void poll() {
        if (!fleet().enabled()) {
            return;
        }
        boolean exports = config.role() != CaravanConfig.Role.IMPORT;
        boolean imports = config.role() != CaravanConfig.Role.EXPORT && config.importHalf().enabled();
        String me = fleet().replicaName();
        if (!mine.isEmpty()) {
            // a run cancelled through another replica stops here at once, not at the next renewal
            store.cancelledAmong(mine.keySet()).forEach(this::stopCancelled);
        }
        long now = System.nanoTime();
        declined.values().removeIf(until -> until < now);
        while (mine.size() < config.runs().concurrency()) {
            var claim = leases.claim(me, fleet().zone().orElse(null), fleet().lease(), exports, imports, declined.keySet());
            if (claim.isEmpty()) {
                return;
            }
            String runId = claim.get().runId();
            int epoch = claim.get().epoch();
            mine.put(runId, epoch);
            activeRuns.clearMoved(runId);
            boolean started;
            try {
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
                started = dispatch.send(runId, epoch);
            } catch (RuntimeException e) {
                LOG.warnf("run %s: claimed but cannot be started here (%s)", runId, e.getMessage());
                started = false;
            }
            if (!started) {
                declined.put(runId, System.nanoTime() + fleet().lease().toNanos());
                release(runId, epoch);
            }
        }
    }

    /**
     * Renews this replica's leases. A run no longer held (cancelled on another replica, or taken
     * over) is stopped here; so is every run when the leases could not be renewed for two thirds
     * of their length, before another replica may take them over.
     */
    public synchronized void renew() {
        long asOf = System.nanoTime();
        if (!fleet().enabled() || mine.isEmpty()) {
            renewedAt = asOf;
            return;
        }
        Set<String> asked = new HashSet<>(mine.keySet());
        Set<String> held;
        try {
            held = leases.renew(fleet().replicaName(), asked, fleet().lease());
            renewedAt = asOf;
        } catch (RuntimeException e) {
            long since = (System.nanoTime() - renewedAt) / 1_000_000;
            LOG.warnf("cannot renew the leases of %d runs for %d ms: %s", asked.size(), since, e.getMessage());
            if (since < fleet().lease().toMillis() * 2 / 3) {
                return;
            }
            // the control database is out of reach: everything stops here, from what this process knows alone
            for (String runId : asked) {
                stopHere(runId, "its lease could not be renewed for " + since + " ms (the control database is out of reach)");
            }
            return;
        }
        for (String runId : asked) {
            if (!held.contains(runId)) {
                if (endedHere(runId)) {
                    mine.remove(runId);
                    continue; // it ended here a moment ago, and its half is letting go
                }
                if (store.cancelledAmong(List.of(runId)).isEmpty()) {
                    stopHere(runId, "it is no longer held here (taken over after its lease ran out)");
                } else {
                    stopCancelled(runId);
                }
            }
        }
    }

    /** The run ended, by this replica's own hand (its record names this replica): nothing of it is left to stop. */
    private boolean endedHere(String runId) {
        return store.find(runId).filter(r -> r.status() == RunStatus.SUCCEEDED || r.status() == RunStatus.FAILED)
                .filter(r -> fleet().replicaName().equals(r.replica())).isPresent();
    }

    /**
     * A run held here was cancelled (through any replica): its tools and work stop, as a cancel
     * here stops them, and its half leaves it as from any cancel, closing what it held (the
     * source's write freeze is lifted: nobody else has the run to lift it). It is not this
     * replica's any more: its half records nothing more of it.
     */
    private void stopCancelled(String runId) {
        mine.remove(runId);
        int stopped = tools.stopAll(runId) + activeRuns.stopWork(runId);
        runLog.info(LOG, runId, String.format("cancelled: replica %s stops its work on the run (%d tools and loads stopped)",
                fleet().replicaName(), stopped));
    }

    private void stopHere(String runId, String why) {
        mine.remove(runId);
        activeRuns.markMoved(runId);
        int stopped = tools.stopAll(runId) + activeRuns.stopWork(runId);
        runLog.warn(LOG, runId, String.format("replica %s stops its work on the run: %s (%d tools and loads stopped)",
                fleet().replicaName(), why, stopped));
    }

    /**
     * The export half of the run is done here. Its import half is any replica's to claim, unless
     * this one has already begun restoring it as the delivery arrived (restore.pipelined): then it
     * keeps the run and goes on with the import half itself, since that restore cannot move.
     */
    public void exportDone(@Header(RunHeaders.RUN_ID) String runId, @Header(RunHeaders.CLAIM) Integer epoch) {
        if (!fleet().enabled()) {
            return;
        }
        if (pipelined.running(runId) && epoch != null && epoch.equals(mine.get(runId))) {
            try {
                if (dispatch.send(runId, epoch)) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warnf("run %s: its import half cannot go on here (%s)", runId, e.getMessage());
            }
            pipelined.stop(runId);
        }
        release(runId, epoch);
    }

    /**
     * The half of the run that this replica worked on under that claim is over: any replica may
     * claim what is left of it. An exchange of an earlier claim lets go of nothing.
     */
    public synchronized void release(@Header(RunHeaders.RUN_ID) String runId, @Header(RunHeaders.CLAIM) Integer epoch) {
        if (fleet().enabled() && epoch != null) {
            mine.remove(runId, epoch);
            try {
                // (only if this replica holds it under this claim: the statement names both)
                leases.release(fleet().replicaName(), runId, epoch);
            } catch (RuntimeException e) {
                // best effort: the lease runs out by itself, and the others take the run then
                LOG.warnf("run %s: cannot let go of its lease (%s); it runs out in %s", runId, e.getMessage(), fleet().lease());
            }
        }
    }

    /**
     * A half of the run here stopped because the run is no longer this replica's (it found so at
     * a stage's start), or did not start because an earlier exchange of the run still works here:
     * this replica forgets it, and lets go of it if it still holds it.
     */
    public void moved(@Header(RunHeaders.RUN_ID) String runId, @Header(RunHeaders.CLAIM) Integer epoch) {
        release(runId, epoch);
    }

    /**
     * What a write of the run's progress by this exchange is fenced with (RunStore.Fence): in a
     * fleet, this replica and the exchange's claim (an exchange without one writes nothing); alone,
     * nothing.
     */
    public io.pgcaravan.store.RunStore.Fence fence(Integer epoch) {
        return fleet().enabled() ? new io.pgcaravan.store.RunStore.Fence(fleet().replicaName(), epoch == null ? -1 : epoch) : null;
    }

    /**
     * Whether this process may still record the run's progress: always alone; in a fleet only
     * while this replica holds the run's lease (a replica that lost it records nothing more).
     */
    public boolean mayRecord(@Header(RunHeaders.RUN_ID) String runId, @Header(RunHeaders.CLAIM) Integer epoch) {
        return !fleet().enabled()
                || epoch != null && !activeRuns.moved(runId) && epoch.equals(mine.get(runId)) && leases.holds(fleet().replicaName(), runId, epoch);
    }

    /**
     * SIGTERM (a rolling update, a node drained): this replica stops claiming, which turns its
     * readiness false (PipelineReadiness: a route that should run is stopped), and hands back the
     * runs it holds: nothing more of them starts here, their tools are stopped, and once their
     * stages here have stopped (or after {@link #HANDBACK_WAIT_MS}, less than the lease: the leases
     * are still renewed meanwhile) their leases are let go, so that another replica claims each at
     * once instead of when its lease would have run out, and goes on at its first unfinished stage.
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
        List<String> held;
        synchronized (this) {
            held = List.copyOf(mine.keySet());
            for (String runId : held) {
                activeRuns.markMoved(runId);
                int stopped = tools.stopAll(runId) + activeRuns.stopWork(runId);
                runLog.warn(LOG, runId, String.format("handed back by replica %s, which is shutting down (%d tools and loads stopped): "
                        + "the next replica to claim it goes on at its first unfinished stage", fleet().replicaName(), stopped));
            }
        }
        // (outside the lock: the renewals go on meanwhile)
        long until = System.nanoTime() + Math.min(HANDBACK_WAIT_MS, fleet().lease().toMillis() / 2) * 1_000_000;
        while (held.stream().anyMatch(this::workedOnHere) && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        for (String runId : held) {
            Integer epoch = mine.get(runId);
            if (epoch != null) {
                release(runId, epoch);
            }
        }
    }

    /** How long a replica that shuts down waits for the stages of the runs it hands back to stop here. */
    static final long HANDBACK_WAIT_MS = 15_000;

    private boolean workedOnHere(String runId) {
        return activeRuns.working(runId, io.pgcaravan.live.Half.EXPORT) || activeRuns.working(runId, io.pgcaravan.live.Half.IMPORT);
    }
}

package io.pgcaravan.live;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runs this process works on now, each with the parts it holds ({@link ActiveRun}). The one
 * registry of a run's live state: a half that leaves a run closes what it held with one call, so
 * the error handlers need not know each part.
 */
@ApplicationScoped
public class ActiveRuns {

    private final ConcurrentHashMap<String, ActiveRun> runs = new ConcurrentHashMap<>();

    /** Holds a part of the run for the half; a part held under the same name before is closed first. */
    public <T> T hold(String runId, Half half, String name, T value, AutoCloseable closer) {
        while (!runs.computeIfAbsent(runId, ActiveRun::new).hold(half, name, value, closer)) {
            // the run was retired between the lookup and the hold: the next lookup makes a new one
            Thread.onSpinWait();
        }
        return value;
    }

    /** The part held under the name, or one made and held now (atomically: two callers get the same). */
    public <T> T holdIfAbsent(String runId, Half half, String name, Class<T> type,
                              java.util.function.Supplier<T> make, java.util.function.Function<T, AutoCloseable> closer) {
        // one lock for all runs: what is made here is small (a passfile, an empty map), and a lock
        // per run would have to outlive the run's retirement to stay exclusive
        synchronized (this) {
            Optional<T> held = find(runId).flatMap(r -> r.part(name, type));
            if (held.isPresent()) {
                return held.get();
            }
            T value = make.get();
            return hold(runId, half, name, value, closer.apply(value));
        }
    }


    private static final String STOPPABLE = "stoppable-";

    /**
     * Work of the run that is no tool process (COPYs on JDBC connections), held while it runs so
     * that a cancel stops it as it stops the tools ({@link #stopWork}). Closing what this returns
     * ends the hold.
     */
    @SuppressWarnings("unchecked")
    public AutoCloseable stoppable(String runId, Half half, AutoCloseable stop) {
        java.util.Set<AutoCloseable> held = holdIfAbsent(runId, half, STOPPABLE + half, java.util.Set.class,
                ConcurrentHashMap::newKeySet, s -> () -> { });
        held.add(stop);
        return () -> held.remove(stop);
    }

    /** Stops the run's stoppable work, both halves (a cancel); how many were stopped. */
    @SuppressWarnings("unchecked")
    public int stopWork(String runId) {
        int stopped = 0;
        for (Half half : Half.values()) {
            for (AutoCloseable stop : part(runId, STOPPABLE + half, java.util.Set.class).map(s -> List.copyOf((java.util.Set<AutoCloseable>) s))
                    .orElse(List.of())) {
                try {
                    stop.close();
                    stopped++;
                } catch (Exception e) {
                    // (the work ends on its own error then)
                }
            }
        }
        return stopped;
    }

    /** Runs this process (a fleet's replica) no longer holds: nothing more of them starts here. */
    private final java.util.Set<String> moved = ConcurrentHashMap.newKeySet();

    /** The run is no longer this replica's (handed back, or its lease lost): no tool of it starts here from now on. */
    public void markMoved(String runId) {
        moved.add(runId);
    }

    /** The run is this replica's again (claimed anew). */
    public void clearMoved(String runId) {
        moved.remove(runId);
    }

    public boolean moved(String runId) {
        return moved.contains(runId);
    }

    public Optional<ActiveRun> find(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    /** The part held under the name, if the run is active and holds one of that type. */
    public <T> Optional<T> part(String runId, String name, Class<T> type) {
        return find(runId).flatMap(r -> r.part(name, type));
    }

    /**
     * An exchange takes the half of the run: false if another still works on it (a run resumed
     * or recovered while an earlier exchange holds it is left to that one).
     */
    public synchronized boolean enter(String runId, Half half) {
        if (working(runId, half)) {
            return false;
        }
        hold(runId, half, working(half), Boolean.TRUE, () -> { });
        return true;
    }

    /** Whether an exchange still works on this half of the run. */
    public boolean working(String runId, Half half) {
        return part(runId, working(half), Boolean.class).isPresent();
    }

    /**
     * The half left the run: what it still held is closed, newest first, and only then is the half
     * free to be entered again; a run holding nothing more is forgotten.
     */
    public void leave(String runId, Half half) {
        ActiveRun run = runs.get(runId);
        if (run != null) {
            run.closeHalf(half, working(half));
            run.release(working(half));
            runs.computeIfPresent(runId, (id, r) -> r.retireIfEmpty() ? null : r);
        }
    }

    private static String working(Half half) {
        return "working/" + half.name().toLowerCase(java.util.Locale.ROOT);
    }
}

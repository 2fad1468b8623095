package io.pgcaravan.live;

import jakarta.enterprise.context.ApplicationScoped;

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


    public Optional<ActiveRun> find(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    /** The half left the run: what it still held is closed; a run holding nothing more is forgotten. */
    public void leave(String runId, Half half) {
        ActiveRun run = runs.get(runId);
        if (run != null) {
            run.closeHalf(half);
            runs.computeIfPresent(runId, (id, r) -> r.retireIfEmpty() ? null : r);
        }
    }
}

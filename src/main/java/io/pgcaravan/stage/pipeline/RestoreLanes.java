package io.pgcaravan.stage.pipeline;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Up to the restore's number of jobs pg_restore calls of a pipelined restore at once, each its own
 * lane: a table that arrives goes into the next free lane while the others still load or index
 * theirs (one pg_restore -j N per round waited for its slowest table, the other jobs idle behind
 * it). Lanes building foreign keys at once share no table: each foreign key locks both of its
 * tables, and two of them on a table in common could wait for each other.
 */
public final class RestoreLanes implements AutoCloseable {

    /** One pg_restore, begun and ended in the journal by the caller. */
    public interface Step {
        void run() throws Exception;
    }

    /**
     * A lane's work: the TABLE DATA ids it loads, the index and key ids it builds, and the tables
     * its foreign keys lock (each locks both of its tables against the others' foreign keys).
     */
    public record Work(Set<String> data, Set<String> post, Set<String> locks) {
    }

    private record Lane(Work work, Future<?> future) {
    }

    private final int size;
    private final ExecutorService threads;
    private final List<Lane> running = new ArrayList<>();
    /** Lanes that ended, in the order they ended (what {@link #awaitAny} waits on). */
    private final LinkedBlockingQueue<Lane> ended = new LinkedBlockingQueue<>();

    public RestoreLanes(int size) {
        this.size = Math.max(1, size);
        this.threads = Executors.newFixedThreadPool(this.size, r -> {
            Thread t = new Thread(r, "pipelined-restore-lane");
            t.setDaemon(true);
            return t;
        });
    }

    public boolean free() {
        return running.size() < size;
    }

    public boolean idle() {
        return running.isEmpty();
    }

    public int freeLanes() {
        return size - running.size();
    }

    /** The tables the running lanes' foreign keys lock: another lane's foreign keys stay off them. */
    public Set<String> locked() {
        Set<String> ids = new HashSet<>();
        running.forEach(l -> ids.addAll(l.work().locks()));
        return ids;
    }

    /** The index and key ids the running lanes build. */
    public Set<String> busy() {
        Set<String> ids = new HashSet<>();
        running.forEach(l -> ids.addAll(l.work().post()));
        return ids;
    }

    public void start(Work work, Step step) {
        Lane[] lane = {null};
        synchronized (this) {
            Future<?> f = threads.submit(() -> {
                try {
                    step.run();
                    return null;
                } finally {
                    synchronized (RestoreLanes.this) {
                        ended.add(lane[0]);
                    }
                }
            });
            lane[0] = new Lane(work, f);
            running.add(lane[0]);
        }
    }

    /** Waits up to {@code millis} for a lane to end. */
    public void awaitAny(long millis) throws InterruptedException {
        Lane l = ended.poll(millis, TimeUnit.MILLISECONDS);
        if (l != null) {
            ended.add(l); // (collected by the caller)
        }
    }

    /** The work of the lanes that ended well since the last call; the first failure, once every lane still running has ended. */
    public List<Work> collect() throws Exception {
        List<Work> done = new ArrayList<>();
        Exception failed = null;
        for (Lane l = ended.poll(); l != null; l = ended.poll()) {
            running.remove(l);
            try {
                l.future().get();
                done.add(l.work());
            } catch (ExecutionException e) {
                failed = e.getCause() instanceof Exception x ? x : e;
            } catch (CancellationException e) {
                failed = e;
            }
        }
        if (failed != null) {
            drain(); // (no lane goes on behind the failure: the journal shows which one did not end)
            throw failed;
        }
        return done;
    }

    /** Waits for every running lane to end, keeping what ended for {@link #collect}. */
    public void drain() throws InterruptedException {
        for (Lane l : List.copyOf(running)) {
            try {
                l.future().get();
            } catch (ExecutionException | CancellationException e) {
                // collected
            }
        }
    }

    /** Stops the lanes still running (their pg_restore with them) and waits a little for them. */
    @Override
    public void close() {
        threads.shutdownNow();
        try {
            threads.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

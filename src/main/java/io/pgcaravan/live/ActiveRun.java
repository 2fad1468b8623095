package io.pgcaravan.live;

import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one run holds while this process works on it, as closeable parts of one half or the other:
 * the half's working mark, the exported snapshot, the early sender, the write freeze, the
 * passfiles, the tool processes, each stage's progress and retry clock. A part is held under
 * a name; releasing it closes it at once, and whatever a half still holds when it leaves the run
 * (done, failed or cancelled) is closed in one place, newest first.
 */
public final class ActiveRun {

    private static final Logger LOG = Logger.getLogger(ActiveRun.class);

    private final String runId;
    private final Map<String, Part> parts = new LinkedHashMap<>();
    /** Set once both halves have let go and the registry dropped it: it takes no new parts. */
    private boolean retired;

    private record Part(Half half, Object value, AutoCloseable closer) {
    }

    ActiveRun(String runId) {
        this.runId = runId;
    }

    public String runId() {
        return runId;
    }

    /**
     * Holds a part for the half (a part held under the same name before is closed first); false
     * if this run was retired meanwhile, and the registry must give a new one.
     */
    boolean hold(Half half, String name, Object value, AutoCloseable closer) {
        Part old;
        synchronized (this) {
            if (retired) {
                return false;
            }
            old = parts.put(name, new Part(half, value, closer));
        }
        close(name, old);
        return true;
    }

    /** The part held under the name, if it is of that type. */
    public synchronized <T> Optional<T> part(String name, Class<T> type) {
        Part p = parts.get(name);
        return p != null && type.isInstance(p.value()) ? Optional.of(type.cast(p.value())) : Optional.empty();
    }

    /** Takes the part out without closing it: whoever takes it ends it their own way. */
    public synchronized <T> Optional<T> take(String name, Class<T> type) {
        Optional<T> p = part(name, type);
        p.ifPresent(v -> parts.remove(name));
        return p;
    }

    /** Closes the part held under the name now (nothing if none is). */
    public void release(String name) {
        Part p;
        synchronized (this) {
            p = parts.remove(name);
        }
        close(name, p);
    }

    /** Closes the parts whose names match now, newest first. */
    public void releaseAll(java.util.function.Predicate<String> names) {
        closeWhere((name, p) -> names.test(name));
    }

    /** Closes what the half still holds but the named part, newest first. */
    void closeHalf(Half half, String except) {
        closeWhere((name, p) -> p.half() == half && !name.equals(except));
    }

    private void closeWhere(java.util.function.BiPredicate<String, Part> which) {
        List<Map.Entry<String, Part>> closing = new ArrayList<>();
        synchronized (this) {
            parts.entrySet().removeIf(e -> {
                if (which.test(e.getKey(), e.getValue())) {
                    closing.add(Map.entry(e.getKey(), e.getValue()));
                    return true;
                }
                return false;
            });
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            close(closing.get(i).getKey(), closing.get(i).getValue());
        }
    }

    /** Retires the run if it holds nothing any more. */
    synchronized boolean retireIfEmpty() {
        retired = parts.isEmpty();
        return retired;
    }

    private void close(String name, Part p) {
        if (p == null) {
            return;
        }
        try {
            p.closer().close();
        } catch (Exception e) {
            // the next part must still be closed: one that fails to close is logged, not fatal
            LOG.warnf("[%s] could not close its %s: %s", runId, name, e.getMessage());
        }
    }
}

package io.pgcaravan.run;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.RunContexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Synchronization;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * At most {@code source.max-concurrent-runs} of a job's runs in their export half at once in this
 * process, and {@code destination.max-concurrent-runs} in their import half: the gate at the start
 * of the export and import routes. A run that finds its job's half full is not held there: it
 * waits in line, QUEUED, and is sent on (RunDispatch) as soon as a run of the same job leaves that
 * half (its exchange completes), so that it takes none of caravan.runs.concurrency's places
 * meanwhile and other jobs' runs go on. In a fleet the claims count the runs of all replicas
 * (RunLeases), and a replica claims only what its job has room for: the gate lets everything
 * through there.
 */
// Not Camel's throttle EIP (ConcurrentRequests mode, correlated by job): in Camel 4.18 it blocks the
// route's thread while it waits, and a release schedules the removal of the job's counter ten seconds
// later even while another run holds a permit, after which one more run than the limit gets through.
@ApplicationScoped
@Named("runLimits")
public class RunLimits {

    private static final Logger LOG = Logger.getLogger(RunLimits.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunContexts contexts;
    @Inject
    RunDispatch dispatch;
    @Inject
    RunLog runLog;

    /** A job's half here: how many runs are in it, and those waiting for a place, in the order they came. */
    private static final class Group {
        int inside;
        final Deque<Waiting> waiting = new ArrayDeque<>();
    }

    private record Waiting(String runId, Integer claim) {
    }

    private final Map<String, Group> groups = new HashMap<>();

    /** Whether the run may go on into its export half now (if not, it waits in line and is sent again later). */
    public boolean enterExport(Exchange exchange) {
        RunContext ctx = contexts.of(runId(exchange));
        return enter(exchange, "export " + ctx.jobName(), ctx.job().sourceIfConfigured());
    }

    /** The same for the import half. */
    public boolean enterImport(Exchange exchange) {
        RunContext ctx = contexts.of(runId(exchange));
        return enter(exchange, "import " + ctx.jobName(), ctx.job().destinationIfConfigured());
    }

    private boolean enter(Exchange exchange, String group, Optional<JobConfig.DatabaseEndpoint> endpoint) {
        Optional<Integer> limit = endpoint.flatMap(JobConfig.DatabaseEndpoint::maxConcurrentRuns);
        if (limit.isEmpty() || config.fleet().enabled()) {
            return true;
        }
        String runId = runId(exchange);
        synchronized (this) {
            Group g = groups.computeIfAbsent(group, k -> new Group());
            if (g.inside >= limit.get()) {
                g.waiting.add(new Waiting(runId, exchange.getMessage().getHeader(RunHeaders.CLAIM, Integer.class)));
                runLog.info(LOG, runId, String.format("waits for a place (%s half of job %s: %d runs in it, its limit)",
                        group.substring(0, group.indexOf(' ')), group.substring(group.indexOf(' ') + 1), g.inside));
                return false;
            }
            g.inside++;
        }
        // the place is the exchange's until it completes, however it ends
        exchange.getExchangeExtension().addOnCompletion(new Synchronization() {
            @Override
            public void onComplete(Exchange done) {
                leave(group);
            }

            @Override
            public void onFailure(Exchange done) {
                leave(group);
            }
        });
        return true;
    }

    private void leave(String group) {
        Waiting next;
        synchronized (this) {
            Group g = groups.get(group);
            g.inside--;
            next = g.waiting.poll();
        }
        if (next != null) {
            try {
                dispatch.send(next.runId(), next.claim());
            } catch (RuntimeException e) {
                // (it stays QUEUED: a restart's recovery sends it again)
                LOG.warnf("run %s: cannot be sent on after waiting for a place: %s", next.runId(), e.getMessage());
            }
        }
    }

    private static String runId(Exchange exchange) {
        return exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
    }
}

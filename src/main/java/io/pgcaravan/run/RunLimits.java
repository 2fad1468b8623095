package io.pgcaravan.run;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.work.RunContexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Header;

import java.util.Optional;

/**
 * How many of a job's runs may be in each half at once in this process
 * ({@code source.max-concurrent-runs}, {@code destination.max-concurrent-runs}), for the
 * throttle at the start of the export and import routes: one group per job and half, whose
 * permit a run holds until its half's exchange completes. In a fleet the claims count the runs
 * of all replicas as well (RunLeases).
 */
@ApplicationScoped
@Named("runLimits")
public class RunLimits {

    /** A half without a limit: no more runs than caravan.runs.concurrency reach it anyway. */
    static final int NONE = 100_000;

    @Inject
    RunContexts contexts;

    public String exportGroup(@Header(RunHeaders.RUN_ID) String runId) {
        return "export " + contexts.of(runId).jobName();
    }

    public int exportLimit(@Header(RunHeaders.RUN_ID) String runId) {
        return limit(contexts.of(runId).job().sourceIfConfigured());
    }

    public String importGroup(@Header(RunHeaders.RUN_ID) String runId) {
        return "import " + contexts.of(runId).jobName();
    }

    public int importLimit(@Header(RunHeaders.RUN_ID) String runId) {
        return limit(contexts.of(runId).job().destinationIfConfigured());
    }

    private static int limit(Optional<JobConfig.DatabaseEndpoint> endpoint) {
        return endpoint.flatMap(JobConfig.DatabaseEndpoint::maxConcurrentRuns).orElse(NONE);
    }
}

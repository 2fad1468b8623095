package io.pgcaravan.run;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.store.Stages;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.RunContexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.camel.ProducerTemplate;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.LinkOption;

/**
 * Sends an active run to the half of this process that has work left for it (seda:export or
 * seda:import): for the commands when the process works alone, for FleetClaims once a replica
 * has claimed the run.
 */
@ApplicationScoped
class RunDispatch {

    private static final Logger LOG = Logger.getLogger(RunDispatch.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    RunContexts contexts;
    @Inject
    ProducerTemplate producer;
    @Inject
    RunLog runLog;

    /** False if neither half here can take the run now (its delivery is not in sight). */
    boolean send(String runId) {
        return send(runId, null);
    }

    /** As {@link #send(String)}, for a fleet's claim: the exchange carries the claim's number (RunHeaders.CLAIM). */
    boolean send(String runId, Integer claim) {
        java.util.Map<String, Object> headers = new java.util.HashMap<>();
        headers.put(RunHeaders.RUN_ID, runId);
        if (claim != null) {
            headers.put(RunHeaders.CLAIM, claim);
        }
        boolean exportDone = store.stages(runId).stream()
                .filter(s -> Stages.EXPORT.contains(s.stage())).allMatch(s -> s.status() == StageStatus.DONE);
        if (!exportDone) {
            producer.sendBodyAndHeaders("seda:export", null, headers);
            return true;
        }
        RunContext ctx = contexts.of(runId);
        // the delivery is this process's to import if it sees it: its marker in the drop directory,
        // or, once checked, the copy the import stages read (whatever became of the marker since)
        if (config.role() != CaravanConfig.Role.EXPORT && config.importHalf().enabled()
                && (Files.exists(ctx.deliveryDir().resolve(DeliveryFiles.DONE))
                    || ctx.privateCopy() && Files.isRegularFile(ctx.verifiedDir().resolve(DeliveryFiles.CHECKSUMS), LinkOption.NOFOLLOW_LINKS))) {
            producer.sendBodyAndHeaders("seda:import", null, headers);
            return true;
        }
        runLog.info(LOG, runId, "waits for the import half to find its delivery");
        return false;
    }
}

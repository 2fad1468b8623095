package io.pgcaravan.split;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.WholeFile;
import io.pgcaravan.store.RunChanged;
import io.pgcaravan.work.RunContexts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageRecord;
import io.pgcaravan.store.Stages;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The import half's side of the back channel: {@code <drop>/<run-id>/status.json}, rewritten as
 * each import stage starts and ends, with the stages, the destination-side precheck items and the
 * verification. The export agent of a split deployment reads it over SFTP (with result.json once
 * the run has ended) to follow the run it started.
 */
@ApplicationScoped
public class StatusFile {

    private static final Logger LOG = Logger.getLogger(StatusFile.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    RunContexts contexts;
    @Inject
    ObjectMapper json;

    /** The run layer says a run changed: the import half mirrors it into the delivery directory. */
    void onChange(@Observes RunChanged change) {
        update(change.runId());
    }

    public void update(String runId) {
        if (config.role() == CaravanConfig.Role.EXPORT) {
            return; // the export agent has no delivery directory of its own
        }
        try {
            RunRecord run = store.find(runId).orElseThrow();
            Path dir = contexts.of(runId).deliveryDir();
            if (!Files.isDirectory(dir)) {
                return;
            }
            ObjectNode status = json.createObjectNode();
            status.put("runId", runId);
            status.put("status", run.status().name());
            status.put("error", run.error());
            status.put("updatedAt", OffsetDateTime.now(ZoneOffset.UTC).toString());
            ArrayNode stages = status.putArray("stages");
            for (StageRecord s : store.stages(runId)) {
                if (Stages.IMPORT.contains(s.stage())) {
                    stages.add(json.valueToTree(s));
                }
            }
            status.set("precheck", run.precheckJson() == null ? json.nullNode() : json.readTree(run.precheckJson()));
            status.set("verification", run.verificationJson() == null ? json.nullNode() : json.readTree(run.verificationJson()));
            WholeFile.write(dir.resolve(DeliveryFiles.STATUS), json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(status));
        } catch (Exception e) {
            LOG.debugf("status.json of run %s not written: %s", runId, e.getMessage());
        }
    }
}

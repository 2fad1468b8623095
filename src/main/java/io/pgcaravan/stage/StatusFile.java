package io.pgcaravan.stage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.run.RunRecord;
import io.pgcaravan.run.RunStore;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageRecord;
import io.pgcaravan.run.Stages;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    public static final String NAME = "status.json";
    private static final Logger LOG = Logger.getLogger(StatusFile.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    Runs runs;
    @Inject
    ObjectMapper json;

    public void update(String runId) {
        if (config.role() == CaravanConfig.Role.EXPORT) {
            return; // the export agent has no delivery directory of its own
        }
        try {
            RunRecord run = store.find(runId).orElseThrow();
            Path dir = runs.context(runId).deliveryDir();
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
            Path tmp = dir.resolve(".writing-" + NAME);
            Files.writeString(tmp, json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(status), StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(NAME), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            LOG.debugf("status.json of run %s not written: %s", runId, e.getMessage());
        }
    }
}

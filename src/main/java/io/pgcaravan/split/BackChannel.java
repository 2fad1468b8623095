package io.pgcaravan.split;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.run.RunHooks;

import io.pgcaravan.work.RunContexts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpException;
import io.pgcaravan.track.CaravanMetrics;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageRecord;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.store.Stages;
import io.pgcaravan.sftp.SftpClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;

/**
 * The export agent's side of the back channel: for each of its runs whose export half is done,
 * reads the import agent's status.json (and result.json once the run ended) from the drop
 * directory over SFTP and brings the run up to date: import stages, the destination-side precheck
 * items, the verification, the final verdict. The drop directory is the only channel between the
 * two agents.
 */
@ApplicationScoped
@Named("backChannel")
public class BackChannel {

    private static final Logger LOG = Logger.getLogger(BackChannel.class);

    @Inject
    RunStore store;
    @Inject
    RunHooks hooks;
    @Inject
    RunContexts contexts;
    @Inject
    ObjectMapper json;
    @Inject
    RunLog runLog;
    @Inject
    CaravanMetrics metrics;

    public void poll() {
        for (RunRecord run : store.activeRuns()) {
            boolean exportDone = store.stages(run.id()).stream()
                    .filter(s -> Stages.EXPORT.contains(s.stage())).allMatch(s -> s.status() == StageStatus.DONE);
            if (exportDone) {
                try {
                    follow(run);
                } catch (Exception e) {
                    LOG.debugf("run %s: the import agent's status cannot be read yet: %s", run.id(), e.getMessage());
                }
            }
        }
    }

    private void follow(RunRecord run) throws Exception {
        RunContext ctx = contexts.of(run.id());
        Optional<JsonNode> status;
        Optional<JsonNode> result;
        try (SftpClient.Open open = SftpClient.open(ctx.job().intermediate())) {
            status = read(open.sftp(), ctx.remoteDir() + "/" + DeliveryFiles.STATUS);
            result = read(open.sftp(), ctx.remoteDir() + "/" + DeliveryFiles.RESULT);
        }
        if (status.isPresent()) {
            Map<String, StageRecord> known = new java.util.HashMap<>();
            store.stages(run.id()).forEach(s -> known.put(s.stage(), s));
            for (JsonNode s : status.get().path("stages")) {
                String stage = s.path("stage").asText();
                StageStatus st = StageStatus.valueOf(s.path("status").asText("PENDING"));
                StageRecord mine = known.get(stage);
                if (mine != null && (mine.status() != st || !java.util.Objects.equals(mine.detail(), text(s, "detail")))) {
                    store.stageSet(run.id(), stage, st, time(s, "startedAt"), time(s, "finishedAt"), text(s, "detail"));
                }
            }
            JsonNode precheck = status.get().path("precheck");
            if (precheck.isArray() && precheck.size() > 0) {
                store.setPrecheck(run.id(), json.writeValueAsString(merged(run.precheckJson(), precheck)));
            }
        }
        if (result.isPresent()) {
            JsonNode r = result.get();
            if (!r.path("verification").isNull() && !r.path("verification").isMissingNode()) {
                store.setVerification(run.id(), json.writeValueAsString(r.path("verification")));
            }
            RunStatus outcome = RunStatus.valueOf(r.path("status").asText("FAILED"));
            String error = text(r, "error");
            if (r.path("damaged").isArray()) {
                // what failed its checksums there: a resume here sends it again (only names of this
                // run's own checksum list are ever sent, whatever result.json says); the verdict is
                // recorded even if this cannot be (a resume then sends everything)
                java.util.List<String> damaged = new java.util.ArrayList<>();
                r.path("damaged").forEach(n -> damaged.add(n.asText()));
                try {
                    io.pgcaravan.stage.Resend.damaged(ctx.workDirMade(), damaged);
                } catch (java.io.IOException e) {
                    LOG.warnf("run %s: the damaged files the import agent names cannot be recorded: %s", run.id(), e.getMessage());
                }
            }
            if (store.runFinished(run.id(), outcome, error)) {
                metrics.runEnded(run.job(), outcome);
                runLog.info(LOG, run.id(), "the import agent reports " + outcome + (error == null ? "" : ": " + error));
                if (outcome == RunStatus.SUCCEEDED) {
                    hooks.removeStaging(run.id());
                }
            }
        }
    }

    /** The export agent's precheck items with the import agent's added (an item of the same name replaced). */
    private com.fasterxml.jackson.databind.node.ArrayNode merged(String mine, JsonNode theirs) throws Exception {
        com.fasterxml.jackson.databind.node.ArrayNode out = json.createArrayNode();
        java.util.Set<String> theirNames = new java.util.HashSet<>();
        theirs.forEach(i -> theirNames.add(i.path("item").asText()));
        if (mine != null) {
            for (JsonNode i : json.readTree(mine)) {
                if (!theirNames.contains(i.path("item").asText())) {
                    out.add(i);
                }
            }
        }
        theirs.forEach(out::add);
        return out;
    }

    private Optional<JsonNode> read(ChannelSftp sftp, String path) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            sftp.get(path, out);
        } catch (SftpException e) {
            if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                return Optional.empty();
            }
            throw e;
        }
        return Optional.of(json.readTree(out.toByteArray()));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNull() || v.isMissingNode() ? null : v.asText();
    }

    private static OffsetDateTime time(JsonNode n, String field) {
        String t = text(n, field);
        return t == null ? null : OffsetDateTime.parse(t);
    }
}

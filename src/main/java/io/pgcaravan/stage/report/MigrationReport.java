package io.pgcaravan.stage.report;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.RolesFile;
import io.pgcaravan.work.RunContexts;

import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.stage.io.FileTrees;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageRecord;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.NoSuchElementException;

/**
 * The migration report: {@code report.json} for machines and {@code report.html} for people
 * (self-contained, verdict first, then the tables). Built from the run's history, so the API can
 * show it at any time; the import half also writes both files next to the dump when it ends.
 */
@ApplicationScoped
public class MigrationReport {

    @Inject
    RunStore store;
    @Inject
    RunContexts contexts;
    @Inject
    ObjectMapper json;
    @Inject
    @Location("report.html")
    Template page;

    public ObjectNode json(String runId) {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        RunContext ctx = contexts.of(runId);
        ObjectNode r = json.createObjectNode();
        r.put("job", run.job());
        r.put("run", run.id());
        r.put("status", run.status().name());
        r.put("verdict", switch (run.status()) {
            case SUCCEEDED -> "the destination matches the source";
            case FAILED -> "FAILED: " + run.error();
            case CANCELLED -> "CANCELLED: " + run.error();
            default -> "not finished yet (" + run.status() + ")";
        });
        r.putPOJO("createdAt", run.createdAt());
        r.putPOJO("finishedAt", run.finishedAt());
        r.putPOJO("options", run.options());
        SourceManifest manifest = manifest(ctx);
        if (manifest != null) {
            r.putPOJO("source", manifest.source());
            r.put("snapshot", manifest.snapshot());
        }
        ObjectNode destination = r.putObject("destination");
        destination.put("host", ctx.job().destination().host());
        destination.put("port", ctx.job().destination().port());
        destination.put("database", ctx.job().destination().database());
        r.putPOJO("sizes", sizes(ctx));
        ArrayNode stages = r.putArray("stages");
        for (StageRecord s : store.stages(runId)) {
            ObjectNode st = stages.addObject();
            st.put("stage", s.stage());
            st.put("status", s.status().name());
            st.putPOJO("startedAt", s.startedAt());
            st.putPOJO("finishedAt", s.finishedAt());
            if (s.startedAt() != null && s.finishedAt() != null) {
                st.put("seconds", Duration.between(s.startedAt(), s.finishedAt()).toMillis() / 1000.0);
            }
            st.put("detail", s.detail());
        }
        r.set("precheck", parse(run.precheckJson()));
        r.set("verification", parse(run.verificationJson()));
        r.set("attempts", json.valueToTree(store.attempts(runId)));
        r.putPOJO("roles", roles(ctx));
        return r;
    }

    /**
     * What the run did to the roles, from its audit file: created, found already there, and how
     * they were rewritten for the destination (null when it migrated none).
     */
    private static java.util.Map<String, Object> roles(RunContext ctx) {
        Path audit = ctx.workDir().resolve(DeliveryFiles.ROLES_APPLIED);
        if (!Files.isReadable(audit)) {
            return null;
        }
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        java.util.List<String> notes = new java.util.ArrayList<>();
        try {
            for (String line : Files.readAllLines(audit)) {
                if (line.startsWith(RolesFile.CREATED)) {
                    out.put("created", line.substring(RolesFile.CREATED.length()).trim());
                } else if (line.startsWith(RolesFile.KEPT)) {
                    out.put("kept", line.substring(RolesFile.KEPT.length()).trim());
                } else if (line.startsWith("-- ") && !line.startsWith("-- role statements")) {
                    notes.add(line.substring(3));
                }
            }
        } catch (java.io.IOException e) {
            return null;
        }
        out.put("rewritten", notes);
        return out;
    }

    private SourceManifest manifest(RunContext ctx) {
        for (Path dir : new Path[]{ctx.verifiedDir(), ctx.deliveryDir(), ctx.stagingDir()}) {
            Path f = dir.resolve(DeliveryFiles.MANIFEST);
            if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try {
                    // the drop directory is the SFTP account's: never through a link
                    return json.readValue(io.pgcaravan.delivery.DeliveryTree.read(f, DeliveryFiles.MAX_MANIFEST), SourceManifest.class);
                } catch (Exception e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static java.util.Map<String, Object> sizes(RunContext ctx) {
        java.util.Map<String, Object> sizes = new java.util.LinkedHashMap<>();
        for (Path dir : new Path[]{ctx.verifiedDir(), ctx.deliveryDir(), ctx.stagingDir()}) {
            Path dump = dir.resolve(DeliveryFiles.DUMP);
            if (Files.exists(dump, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(dump)) {
                try {
                    long bytes = FileTrees.size(dump);
                    sizes.put("dumpBytes", bytes);
                    sizes.put("dump", FileTrees.humanBytes(bytes));
                } catch (Exception e) {
                    // sizes are informative only
                }
                break;
            }
        }
        return sizes;
    }

    private JsonNode parse(String s) {
        try {
            return s == null ? json.nullNode() : json.readTree(s);
        } catch (Exception e) {
            return json.nullNode();
        }
    }

    /** The same report as a self-contained HTML page ({@code templates/report.html}). */
    @SuppressWarnings("unchecked")
    public String html(String runId) {
        return page.data("r", json.convertValue(json(runId), java.util.Map.class)).render();
    }
}

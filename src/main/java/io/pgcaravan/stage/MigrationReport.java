package io.pgcaravan.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgcaravan.run.RunContext;
import io.pgcaravan.run.RunRecord;
import io.pgcaravan.run.RunStore;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageRecord;
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
    Runs runs;
    @Inject
    ObjectMapper json;

    public ObjectNode json(String runId) {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run with id '" + runId + "'"));
        RunContext ctx = runs.context(runId);
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
        r.putPOJO("options", runs.options(run));
        Manifest manifest = manifest(ctx);
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
        return r;
    }

    private Manifest manifest(RunContext ctx) {
        for (Path dir : new Path[]{ctx.deliveryDir(), ctx.stagingDir()}) {
            Path f = dir.resolve(RunContext.MANIFEST);
            if (Files.isReadable(f)) {
                try {
                    return json.readValue(f.toFile(), Manifest.class);
                } catch (Exception e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static java.util.Map<String, Object> sizes(RunContext ctx) {
        java.util.Map<String, Object> sizes = new java.util.LinkedHashMap<>();
        for (Path dir : new Path[]{ctx.deliveryDir(), ctx.stagingDir()}) {
            Path dump = dir.resolve(RunContext.DUMP);
            if (Files.exists(dump)) {
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

    /** The same report as a self-contained HTML page. */
    public String html(String runId) {
        ObjectNode r = json(runId);
        boolean ok = "SUCCEEDED".equals(r.path("status").asText());
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pg-caravan ")
                .append(esc(r.path("run").asText())).append("</title><style>")
                .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}")
                .append("h2{font-size:1.1em;margin-top:1.6em}table{border-collapse:collapse;margin:.4em 0}")
                .append("td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}")
                .append("th{background:#f3f3f3}.ok{color:#176b1a}.bad{color:#b00020;font-weight:bold}")
                .append(".verdict{padding:.8em 1em;border-radius:6px;font-size:1.1em}")
                .append(".verdict.ok{background:#e6f4e6}.verdict.bad{background:#fde7ea}td.n{text-align:right}")
                .append("</style></head><body>");
        h.append("<h1>Migration report: ").append(esc(r.path("job").asText())).append(" / ").append(esc(r.path("run").asText())).append("</h1>");
        h.append("<p class=\"verdict ").append(ok ? "ok" : "bad").append("\">").append(esc(r.path("verdict").asText())).append("</p>");

        JsonNode src = r.path("source");
        h.append("<h2>Summary</h2><table>");
        row(h, "source", src.isMissingNode() ? "" : src.path("database").asText() + " (PostgreSQL " + src.path("version").asText()
                + ", " + src.path("encoding").asText() + ", collate " + src.path("collate").asText() + ", owner "
                + src.path("owner").asText() + ")");
        JsonNode dst = r.path("destination");
        row(h, "destination", dst.path("host").asText() + ":" + dst.path("port").asText() + "/" + dst.path("database").asText());
        row(h, "snapshot", r.path("snapshot").asText(""));
        row(h, "dump", r.path("sizes").path("dump").asText(""));
        row(h, "created", r.path("createdAt").asText(""));
        row(h, "finished", r.path("finishedAt").asText(""));
        h.append("</table>");

        h.append("<h2>Stages</h2><table><tr><th>stage</th><th>status</th><th>seconds</th><th>detail</th></tr>");
        for (JsonNode s : r.path("stages")) {
            h.append("<tr><td>").append(esc(s.path("stage").asText())).append("</td><td class=\"")
                    .append("FAILED".equals(s.path("status").asText()) ? "bad" : "").append("\">").append(esc(s.path("status").asText()))
                    .append("</td><td class=\"n\">").append(esc(s.path("seconds").asText(""))).append("</td><td>")
                    .append(esc(s.path("detail").asText(""))).append("</td></tr>");
        }
        h.append("</table>");

        JsonNode v = r.path("verification");
        if (v.isObject()) {
            h.append("<h2>Tables</h2><table><tr><th>table</th><th>kind</th><th>source rows</th><th>destination rows</th>")
                    .append("<th>checksums</th><th>match</th></tr>");
            for (JsonNode t : v.path("tables")) {
                boolean m = t.path("match").asBoolean();
                String checksum = t.path("sourceChecksum").isNull() || t.path("sourceChecksum").isMissingNode() ? ""
                        : t.path("sourceChecksum").asText().equals(t.path("destinationChecksum").asText()) ? "equal" : "DIFFER";
                h.append("<tr><td>").append(esc(t.path("schema").asText() + "." + t.path("table").asText())).append("</td><td>")
                        .append(esc(t.path("kind").asText())).append("</td><td class=\"n\">").append(t.path("sourceRows").asText())
                        .append("</td><td class=\"n\">").append(t.path("destinationRows").isNull() ? "missing" : t.path("destinationRows").asText())
                        .append("</td><td>").append(checksum).append("</td>").append(verdict(m)).append("</tr>");
            }
            h.append("</table><h2>Objects</h2><table><tr><th>schema</th><th>kind</th><th>source</th><th>destination</th>")
                    .append("<th>missing</th><th>extra</th><th>match</th></tr>");
            for (JsonNode o : v.path("objects")) {
                h.append("<tr><td>").append(esc(o.path("schema").asText())).append("</td><td>").append(esc(o.path("kind").asText()))
                        .append("</td><td class=\"n\">").append(o.path("expected").asText()).append("</td><td class=\"n\">")
                        .append(o.path("found").asText()).append("</td><td>").append(esc(join(o.path("missing")))).append("</td><td>")
                        .append(esc(join(o.path("extra")))).append("</td>").append(verdict(o.path("match").asBoolean())).append("</tr>");
            }
            h.append("</table><h2>Sequences</h2><table><tr><th>sequence</th><th>dump</th><th>destination</th><th>match</th></tr>");
            for (JsonNode s : v.path("sequences")) {
                h.append("<tr><td>").append(esc(s.path("sequence").asText())).append("</td><td class=\"n\">")
                        .append(s.path("expectedLastValue").asText()).append(s.path("expectedIsCalled").asBoolean() ? "" : " (not called)")
                        .append("</td><td class=\"n\">").append(s.path("foundLastValue").isNull() ? "missing" : s.path("foundLastValue").asText()
                                + (s.path("foundIsCalled").asBoolean() ? "" : " (not called)"))
                        .append("</td>").append(verdict(s.path("match").asBoolean())).append("</tr>");
            }
            JsonNode lo = v.path("largeObjects");
            h.append("</table><h2>Large objects</h2><table><tr><th>source</th><th>destination</th><th>match</th></tr><tr><td class=\"n\">")
                    .append(lo.path("expected").asText()).append("</td><td class=\"n\">").append(lo.path("found").asText()).append("</td>")
                    .append(verdict(lo.path("match").asBoolean())).append("</tr></table>");
        }

        h.append("<h2>Precheck</h2><table><tr><th>item</th><th>status</th><th>message</th></tr>");
        for (JsonNode p : r.path("precheck")) {
            String status = p.path("status").asText();
            h.append("<tr><td>").append(esc(p.path("item").asText())).append("</td><td class=\"")
                    .append("FAIL".equals(status) ? "bad" : "PASS".equals(status) ? "ok" : "").append("\">").append(status)
                    .append("</td><td>").append(esc(p.path("message").asText())).append("</td></tr>");
        }
        h.append("</table>");
        if (r.path("attempts").size() > 0) {
            h.append("<h2>Failed attempts</h2><table><tr><th>stage</th><th>at</th><th>class</th><th>cause</th><th>retried</th></tr>");
            for (JsonNode a : r.path("attempts")) {
                h.append("<tr><td>").append(esc(a.path("stage").asText())).append("</td><td>").append(esc(a.path("failedAt").asText()))
                        .append("</td><td>").append(esc(a.path("failureClass").asText())).append("</td><td>")
                        .append(esc(a.path("cause").asText())).append("</td><td>").append(a.path("retried").asBoolean() ? "yes" : "no")
                        .append("</td></tr>");
            }
            h.append("</table>");
        }
        h.append("<p><small>pg-caravan</small></p></body></html>");
        return h.toString();
    }

    private static void row(StringBuilder h, String key, String value) {
        h.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>");
    }

    private static String verdict(boolean match) {
        return match ? "<td class=\"ok\">yes</td>" : "<td class=\"bad\">NO</td>";
    }

    private static String join(JsonNode array) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode n : array) {
            sb.append(sb.length() == 0 ? "" : ", ").append(n.asText());
        }
        return sb.toString();
    }

    /** HTML text: identifiers may hold anything, quotes and angle brackets included. */
    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }
}

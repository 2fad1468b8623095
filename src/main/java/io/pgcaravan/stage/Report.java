package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.WholeFile;
import io.pgcaravan.retry.FailureText;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.work.RunContexts;

import io.pgcaravan.stage.report.MigrationReport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result written next to the dump ({@code <drop>/<run-id>/result.json}): the verdict and the
 * verification table, for whoever looks at the intermediate host, and for the export half in a
 * split deployment.
 */
@ApplicationScoped
@Named("report")
public class Report {

    @Inject
    RunContexts contexts;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;
    @Inject
    MigrationReport report;

    /** report.json and report.html next to the dump, as the run ends (written whole, then renamed). */
    private void writeReports(String runId, RunStatus ending) throws Exception {
        java.nio.file.Path dir = contexts.of(runId).deliveryDir();
        com.fasterxml.jackson.databind.node.ObjectNode r = report.json(runId);
        r.put("status", ending.name()); // the run's own status is set just after this
        WholeFile.write(dir.resolve(DeliveryFiles.REPORT_JSON), json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        WholeFile.write(dir.resolve(DeliveryFiles.REPORT_HTML), report.html(runId));
    }

    /**
     * result.json, the body {@link #succeeded} or {@link #failed} made, next to the dump: last, and
     * written whole (WholeFile) so that nothing planted in the drop directory redirects it.
     */
    public void writeResult(Exchange exchange) throws Exception {
        String runId = exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
        WholeFile.write(contexts.of(runId).deliveryDir().resolve(DeliveryFiles.RESULT), exchange.getMessage().getBody(String.class));
    }

    /**
     * result.json again, from the run as it stands (an ended run whose delivery came again but is
     * not imported again): the export agent that sent it learns the verdict there is.
     */
    public void republish(String runId) throws Exception {
        RunRecord run = store.find(runId).orElseThrow();
        WholeFile.write(contexts.of(runId).deliveryDir().resolve(DeliveryFiles.RESULT), result(run, run.status(), run.error(), run.finishedAt()));
    }

    /** The result of a run whose import half got through; {@link #writeResult} writes it as result.json. */
    public String succeeded(Exchange exchange) throws Exception {
        return result(exchange, RunStatus.SUCCEEDED, null);
    }

    /** The result of a run whose import half failed, written so the delivery is not imported again. */
    public String failed(Exchange exchange) throws Exception {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        boolean cancelled = store.find(exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class))
                .map(r -> r.status() == RunStatus.CANCELLED).orElse(false);
        return result(exchange, cancelled ? RunStatus.CANCELLED : RunStatus.FAILED, FailureText.describe(cause));
    }

    private String result(Exchange exchange, RunStatus status, String error) throws Exception {
        String runId = exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class);
        writeReports(runId, status);
        return result(store.find(runId).orElseThrow(), status, error, OffsetDateTime.now(ZoneOffset.UTC));
    }

    /** result.json's content: the verdict, the verification, and for a run that failed what was damaged. */
    private String result(RunRecord run, RunStatus status, String error, OffsetDateTime finishedAt) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("runId", run.id());
        result.put("job", run.job());
        result.put("status", status);
        result.put("finishedAt", finishedAt);
        result.put("error", error);
        result.put("verification", run.verificationJson() == null ? null : json.readValue(run.verificationJson(), JsonNode.class));
        if (status != RunStatus.SUCCEEDED) {
            // the files that failed their checksums: a split export agent sends them again on resume
            java.util.Set<String> damaged = Resend.damaged(contexts.of(run.id()).workDir());
            if (!damaged.isEmpty()) {
                result.put("damaged", damaged);
            }
        }
        return json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result);
    }
}

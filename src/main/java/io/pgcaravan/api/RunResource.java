package io.pgcaravan.api;

import io.pgcaravan.run.RunCommands;

import io.pgcaravan.work.RunContexts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.track.Progress;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.store.RunStatus;
import io.pgcaravan.store.RunStore;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import io.pgcaravan.stage.report.MigrationReport;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.NoSuchElementException;

@Path("/api/runs")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({"viewer", "operator"})
public class RunResource {

    @Inject
    RunStore store;
    @Inject
    RunCommands commands;
    @Inject
    RunContexts contexts;
    @Inject
    ObjectMapper json;
    @Inject
    MigrationReport report;
    @Inject
    Progress progress;
    @Inject
    RunLog runLog;
    @Inject
    io.pgcaravan.stage.io.FailedStaging failedStaging;

    @GET
    public List<RunView> list(@QueryParam("job") String job, @QueryParam("status") String status,
                              @QueryParam("limit") @DefaultValue("50") String limitParameter) {
        // a String, parsed here: a query parameter JAX-RS cannot convert would be a bare 404
        int limit;
        try {
            limit = Integer.parseInt(limitParameter);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("query parameter limit must be a whole number between 1 and 1000, got \""
                    + ApiExceptionMappers.printable(limitParameter) + "\"");
        }
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be between 1 and 1000, got " + limit);
        }
        RunStatus st = null;
        if (status != null) {
            try {
                st = RunStatus.valueOf(status.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("status must be one of QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED; got " + status);
            }
        }
        return store.list(job, st, limit).stream().map(this::view).toList();
    }

    @GET
    @Path("{id}")
    public RunView get(@PathParam("id") String id) {
        return store.find(id).map(this::view).orElseThrow(() -> new NoSuchElementException("no run with id '" + id + "'"));
    }

    /** The run's own log, as plain text: stages, retries, the tools' output line by line. */
    @GET
    @Path("{id}/log")
    @Produces(MediaType.TEXT_PLAIN)
    public Response log(@PathParam("id") String id) throws java.io.IOException {
        store.find(id).orElseThrow(() -> new NoSuchElementException("no run with id '" + id + "'"));
        java.nio.file.Path file = runLog.file(id);
        String text = java.nio.file.Files.exists(file) ? java.nio.file.Files.readString(file) : "";
        return Response.ok(text, MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8")).build();
    }

    /** The migration report: JSON by default, a self-contained HTML page for {@code Accept: text/html}. */
    @GET
    @Path("{id}/report")
    @Produces({MediaType.APPLICATION_JSON, MediaType.TEXT_HTML})
    public Response report(@PathParam("id") String id, @HeaderParam("Accept") String accept) {
        if (accept != null && accept.contains(MediaType.TEXT_HTML)) {
            return Response.ok(report.html(id), MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).build();
        }
        return Response.ok(report.json(id), MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** Verifies a finished run's destination again against its manifest: 202 with the run, QUEUED. */
    @POST
    @Path("{id}/verify")
    @RolesAllowed("operator")
    public Response verify(@PathParam("id") String id) {
        RunView run = view(commands.reverify(id));
        return Response.accepted(run).location(URI.create(run.url())).build();
    }

    /** Frees an ended run's local staging copy (a resume of it then dumps again). */
    @jakarta.ws.rs.DELETE
    @Path("{id}/staging")
    @RolesAllowed("operator")
    public Map<String, Object> discardStaging(@PathParam("id") String id) throws java.io.IOException {
        long freed = failedStaging.discard(id);
        return Map.of("runId", id, "freedBytes", freed);
    }

    /** Cancels an active run: 200 with the run, now CANCELLED; 409 if it already ended. */
    @POST
    @Path("{id}/cancel")
    @RolesAllowed("operator")
    public RunView cancel(@PathParam("id") String id, @Context SecurityContext who) {
        return view(commands.cancel(id, who.getUserPrincipal().getName()));
    }

    /** Resumes a FAILED or CANCELLED run at its first unfinished stage: 202 with the run. */
    @POST
    @Path("{id}/resume")
    @RolesAllowed("operator")
    public Response resume(@PathParam("id") String id) {
        RunView run = view(commands.resume(id));
        return Response.accepted(run).location(URI.create(run.url())).build();
    }

    private RunView view(RunRecord r) {
        List<RunView.StageView> stages = store.stages(r.id()).stream()
                .map(s -> new RunView.StageView(s.stage(), s.status(), s.startedAt(), s.finishedAt(),
                        duration(s.startedAt(), s.finishedAt()), s.detail(),
                        s.status() == StageStatus.RUNNING ? progress.view(r.id(), s.stage()).orElse(null) : null))
                .toList();
        return new RunView(r.id(), r.job(), r.database(), r.status(), r.trigger(), r.replica(), r.options(), r.createdAt(), r.startedAt(),
                r.finishedAt(), duration(r.startedAt(), r.finishedAt()), r.error(), stages,
                store.attempts(r.id()), parse(r.precheckJson()), parse(r.verificationJson()), "/api/runs/" + r.id());
    }

    private static Long duration(OffsetDateTime from, OffsetDateTime to) {
        return from == null || to == null ? null : Duration.between(from, to).toMillis();
    }

    private JsonNode parse(String s) {
        try {
            return s == null ? null : json.readTree(s);
        } catch (Exception e) {
            return null;
        }
    }
}

package io.pgcaravan.api;

import io.pgcaravan.run.RunCommands;

import io.pgcaravan.work.RunContexts;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.store.RunRecord;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.pgcaravan.stage.Precheck;
import io.pgcaravan.stage.precheck.PrecheckItem;

import java.net.URI;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

@Path("/api/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobResource {

    @Inject
    CaravanConfig config;
    @Inject
    RunCommands commands;
    @Inject
    RunContexts contexts;
    @Inject
    Precheck precheck;

    @GET
    @RolesAllowed({"viewer", "operator"})
    public List<JobView> list() {
        return config.jobs().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> JobView.of(e.getKey(), e.getValue())).toList();
    }

    @GET
    @Path("{job}")
    @RolesAllowed({"viewer", "operator"})
    public JobView get(@PathParam("job") String job) {
        return JobView.of(job, contexts.job(job));
    }

    /**
     * Runs the job's precheck on its own and answers with the report: the overall verdict (the
     * worst item) and every item. Nothing is started; one empty probe file is written and removed
     * in the drop directory to prove it is writable.
     */
    @POST
    @Path("{job}/precheck")
    @RolesAllowed("operator")
    public Map<String, Object> precheck(@PathParam("job") String job) {
        List<PrecheckItem> items = precheck.check(job);
        PrecheckItem.Verdict verdict = items.stream().map(PrecheckItem::status)
                .max(Comparator.naturalOrder()).orElse(PrecheckItem.Verdict.PASS);
        return Map.of("job", job, "verdict", verdict, "items", items);
    }

    /** Starts a run of the job: 202 with the run's id and URL; 409 while the job has an active run. */
    @POST
    @Path("{job}/runs")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("operator")
    public Response start(@PathParam("job") String job, RunRequest request) {
        RunRequest overrides = request == null ? RunRequest.NONE : request;
        RunRecord run = commands.start(job, overrides.apply(contexts.job(job), config.retry().enforceRanges()), "api");
        URI url = URI.create("/api/runs/" + run.id());
        return Response.accepted(Map.of("id", run.id(), "status", run.status(), "url", url.toString()))
                .location(url).build();
    }
}

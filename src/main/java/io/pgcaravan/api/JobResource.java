package io.pgcaravan.api;

import io.pgcaravan.run.RunCommands;

import io.pgcaravan.work.RunContexts;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
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
    @Inject
    io.pgcaravan.store.JobCatalog jobs;
    @Inject
    io.pgcaravan.store.RunStore store;
    @Inject
    jakarta.validation.Validator validator;

    @GET
    @RolesAllowed({"viewer", "operator"})
    public List<JobView> list() {
        return jobs.all().entrySet().stream().map(e -> view(e.getKey(), e.getValue())).toList();
    }

    @GET
    @Path("{job}")
    @RolesAllowed({"viewer", "operator"})
    public JobView get(@PathParam("job") String job) {
        return view(job, contexts.job(job));
    }

    private JobView view(String name, io.pgcaravan.config.JobConfig job) {
        return JobView.of(name, job, jobs.origin(name).orElse(io.pgcaravan.store.JobCatalog.Origin.CONFIGURATION),
                jobs.definition(name).orElse(null));
    }

    /**
     * Creates a job: its configuration keys as in the configuration file, relative to
     * {@code caravan.jobs.<name>.} (dotted or nested), and its {@code name}. Checked exactly as the
     * file's jobs are (400 with every problem, naming the file's keys); secrets only as references
     * ({@code password-file}, {@code password-env}). 201; 409 if a job of that name exists.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("operator")
    public Response create(com.fasterxml.jackson.databind.JsonNode body) {
        String name = body != null && body.hasNonNull("name") ? body.get("name").asText() : null;
        if (name == null) {
            throw new IllegalArgumentException("name: the job's name is required");
        }
        io.pgcaravan.config.JobDefinition definition = io.pgcaravan.config.JobDefinition.of(name, body, config, validator);
        jobs.create(definition);
        return Response.created(URI.create("/api/jobs/" + name)).entity(view(name, definition.job())).build();
    }

    /**
     * Creates or replaces a job created over the API (200, or 201 when new); the configuration
     * file's jobs are read-only here (409), and so is a job while it has an active run (409).
     */
    @jakarta.ws.rs.PUT
    @Path("{job}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("operator")
    public Response replace(@PathParam("job") String job, com.fasterxml.jackson.databind.JsonNode body) {
        if (body != null && body.hasNonNull("name") && !job.equals(body.get("name").asText())) {
            throw new IllegalArgumentException("name: '" + body.get("name").asText() + "' is not the job of this URL ('" + job + "')");
        }
        io.pgcaravan.config.JobDefinition definition = io.pgcaravan.config.JobDefinition.of(job, body, config, validator);
        List<RunRecord> active = store.active(job);
        if (!active.isEmpty() && !onlyTheSchedule(jobs.definition(job).orElse(Map.of()), definition.keys())) {
            // its stages read the job as it is when each runs: a change now would change a run half done
            // (its schedule alone may change: a run does not read it)
            throw new IllegalStateException("job '" + job + "' has an active run (" + active.get(0).id()
                    + "); change it once that has ended (only its schedule.* may change meanwhile)");
        }
        boolean created = jobs.put(definition);
        return Response.status(created ? Response.Status.CREATED : Response.Status.OK).entity(view(job, definition.job())).build();
    }

    private static boolean onlyTheSchedule(Map<String, String> before, Map<String, String> after) {
        java.util.function.Predicate<String> run = k -> !k.startsWith("schedule.");
        return before.entrySet().stream().filter(e -> run.test(e.getKey())).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))
                .equals(after.entrySet().stream().filter(e -> run.test(e.getKey())).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    }

    /** Deletes a job created over the API (204): not while it has an active run (409); its runs' history stays. */
    @jakarta.ws.rs.DELETE
    @Path("{job}")
    @RolesAllowed("operator")
    public Response delete(@PathParam("job") String job) {
        if (jobs.origin(job).isEmpty()) {
            throw new java.util.NoSuchElementException("no job named '" + job + "' is configured");
        }
        List<RunRecord> active = store.active(job);
        if (!active.isEmpty()) {
            throw new IllegalStateException("job '" + job + "' has an active run (" + active.get(0).id() + "); cancel it or let it end first");
        }
        jobs.delete(job);
        return Response.noContent().build();
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

    /**
     * Starts a run of the job (of each of its databases, or of the one the request names): 202
     * with the run's id and URL, or, for a job of several databases, with each run's and the
     * databases left out because a run of theirs is still active; 409 while every one has an
     * active run; 502 when the source's databases cannot be listed to match the job's patterns.
     */
    @POST
    @Path("{job}/runs")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed("operator")
    public Response start(@PathParam("job") String job, RunRequest request) {
        RunRequest overrides = request == null ? RunRequest.NONE : request;
        JobConfig configured = contexts.job(job);
        if (overrides.database() != null && !configured.severalDatabases()) {
            throw new IllegalArgumentException("database: job '" + job + "' migrates one database; leave database out");
        }
        RunCommands.Started started = commands.start(job, overrides.apply(configured, config.retry().enforceRanges()), "api",
                overrides.database());
        List<Map<String, Object>> runs = started.runs().stream().map(r -> {
            Map<String, Object> one = new java.util.LinkedHashMap<>();
            one.put("id", r.id());
            one.put("database", r.database());
            one.put("status", r.status());
            one.put("url", "/api/runs/" + r.id());
            return one;
        }).toList();
        if (!configured.severalDatabases()) {
            URI url = URI.create("/api/runs/" + started.runs().get(0).id());
            return Response.accepted(runs.get(0)).location(url).build();
        }
        Map<String, Object> answer = new java.util.LinkedHashMap<>();
        answer.put("job", job);
        answer.put("runs", runs);
        answer.put("busy", started.busy());
        return Response.accepted(answer).location(URI.create("/api/runs?job=" + job)).build();
    }
}

package io.pgcaravan.stage;

import io.pgcaravan.stage.precheck.DestinationChecks;
import io.pgcaravan.stage.precheck.SourceChecks;
import io.pgcaravan.stage.precheck.SourceFacts;
import io.pgcaravan.stage.precheck.SpaceChecks;
import io.pgcaravan.stage.precheck.ToolChecks;

import io.pgcaravan.delivery.SourceManifest;
import io.pgcaravan.stage.precheck.PrecheckItem;
import io.pgcaravan.work.RunContexts;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.RetryDuration;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.retry.FailureClass;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.config.RunOptions;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.work.StageFailedException;
import io.pgcaravan.sftp.SftpProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Header;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The precheck stage: named items, each PASS, WARN or FAIL with a one-line reason and, where
 * useful, the objects concerned. It only reads (and writes one empty probe file into the drop
 * directory); a FAIL stops the run before anything is written anywhere. docs/runs.md lists the items.
 */
@ApplicationScoped
@Named("precheck")
public class Precheck {

    private static final Logger LOG = Logger.getLogger(Precheck.class);

    @Inject
    RunContexts contexts;
    @Inject
    RunStore store;
    @Inject
    PgTools tools;
    @Inject
    io.pgcaravan.stage.io.FailedStaging failedStaging;
    @Inject
    CaravanConfig config;
    @Inject
    com.fasterxml.jackson.databind.ObjectMapper json;

    /** Runs the precheck for a run, records the report with it and fails the stage on any FAIL. */
    public void run(@Header(RunHeaders.RUN_ID) String runId) {
        RunContext ctx = contexts.of(runId);
        record(runId, check(ctx.job(), ctx.options(), ctx.stagingDir().getParent(), runId, true));
    }

    /** Adds the items to the run's precheck report, logs them, and fails on any FAIL. */
    private void record(String runId, List<PrecheckItem> items) {
        List<PrecheckItem> all = new ArrayList<>(previous(runId));
        all.removeIf(p -> items.stream().anyMatch(i -> i.item().equals(p.item())));
        all.addAll(items);
        store.setPrecheck(runId, contexts.toJson(all));
        // a WARN (host key checking off, an older destination) is logged as one, at every run
        items.forEach(i -> LOG.logf(i.status() == PrecheckItem.Verdict.PASS ? Logger.Level.INFO : Logger.Level.WARN,
                "run %s precheck %s %s: %s", runId, i.status(), i.item(), i.message()));
        List<PrecheckItem> failed = items.stream().filter(i -> i.status() == PrecheckItem.Verdict.FAIL).toList();
        if (!failed.isEmpty()) {
            String message = "precheck failed: " + String.join("; ", failed.stream().map(i -> i.item() + ": " + i.message()).toList());
            // a server that cannot be reached may come back; anything else is a verdict
            boolean onlyUnreachable = failed.stream().allMatch(PrecheckItem::unreachable);
            throw new StageFailedException(message, onlyUnreachable ? FailureClass.CONNECTION : FailureClass.FINAL);
        }
    }

    /**
     * The precheck of a job on its own (POST /api/jobs/{job}/precheck): nothing is recorded. An
     * import agent checks its side only (it knows nothing of the source without a delivery).
     */
    public List<PrecheckItem> check(String jobName) {
        JobConfig job = contexts.job(jobName);
        if (config.role() == CaravanConfig.Role.IMPORT) {
            List<PrecheckItem> items = new ArrayList<>();
            DestinationChecks.check(job, null, items, tools);
            return items;
        }
        if (!job.severalDatabases()) {
            return check(job, RunOptions.of(job), contexts.stagingRoot(job), jobName, false);
        }
        // a job of several databases: each of them as its run would be checked, its items named after it
        List<String> databases;
        try {
            databases = io.pgcaravan.pg.SourceDatabases.of(job.source());
        } catch (java.sql.SQLException e) {
            return List.of(PrecheckItem.fail("source databases", "the source's databases cannot be listed to match source.databases: "
                    + e.getMessage()));
        }
        if (databases.isEmpty()) {
            return List.of(PrecheckItem.fail("source databases", "source.databases matches none of the source's databases"));
        }
        List<PrecheckItem> items = new ArrayList<>();
        for (String database : databases) {
            JobConfig one = io.pgcaravan.config.OneDatabase.of(job, database);
            check(one, RunOptions.of(one), contexts.stagingRoot(one), jobName, false).forEach(i ->
                    items.add(new PrecheckItem(database + ": " + i.item(), i.status(), i.message(), i.objects(), i.unreachable())));
        }
        return items;
    }

    /**
     * The import agent's precheck of a delivery, before it touches the destination: the
     * destination-side items, compared with the source as the manifest describes it. Recorded with
     * the run (and so sent back to the export agent); a FAIL stops the import.
     */
    public void checkDestination(RunContext ctx, SourceManifest manifest) {
        List<PrecheckItem> items = new ArrayList<>();
        SourceManifest.Source m = manifest.source();
        SourceFacts source = new SourceFacts(m.major(), manifest.tables().stream().map(SourceManifest.TableRows::display).toList(),
                new Catalog.DatabaseSettings(m.encoding(), m.collate(), m.ctype(), m.owner(), m.settings()),
                manifest.extensions() == null ? List.of() : manifest.extensions(), 0, m.superusers(), m.bootstrap(), m.actingRoles(), m.superuserOnly());
        items.add(ToolChecks.version(tools, "pg_restore", source));
        DestinationChecks.check(ctx.job(), source, items, tools);
        record(ctx.runId(), items);
    }

    /** reclaim: a run's own precheck, which may take the staging space of ended runs it needs (an ad-hoc one only reads). */
    List<PrecheckItem> check(JobConfig job, RunOptions options, Path stagingRoot, String probeName, boolean reclaim) {
        List<PrecheckItem> items = new ArrayList<>();
        ObjectSelection selection = ObjectSelection.of(job.select());
        SourceFacts source = SourceChecks.check(job, selection, items);

        items.add(ToolChecks.version(tools, "pg_dump", source));
        if (job.roles().migrate()) {
            items.add(ToolChecks.version(tools, "pg_dumpall", source));
        }
        if (config.role() == CaravanConfig.Role.ALL) {
            // in a split deployment the import agent checks its side when the delivery arrives
            items.add(ToolChecks.version(tools, "pg_restore", source));
            DestinationChecks.check(job, source, items, tools);
        }

        Long dropFree = null;
        if (!job.intermediate().strictHostKeyChecking()) {
            items.add(PrecheckItem.warn("intermediate.host-key", "host key checking is OFF for " + job.intermediate().host()
                    + " (intermediate.strict-host-key-checking=false): the dump could be intercepted"));
        }
        try {
            SftpProbe.Result probe = SftpProbe.check(job.intermediate(), probeName);
            items.add(PrecheckItem.pass("intermediate.connection", probe.message()));
            dropFree = probe.freeBytes();
        } catch (SftpProbe.ProbeException e) {
            items.add(e.unreachable() ? PrecheckItem.unreachable("intermediate.connection", e.getMessage())
                    : PrecheckItem.fail("intermediate.connection", e.getMessage()));
        }

        if (source != null) {
            String reclaimed = reclaim ? reclaimed(stagingRoot, source.dataBytes(), probeName) : "";
            // a directory-format dump not compressed by pg_dump is written uncompressed here even on a
            // slow link (its files are zstd-compressed as they are sent, and kept so beside them until the dump ends)
            Integer stagingCompression = options.dumpCompression() == null && options.dumpFormat() == io.pgcaravan.config.JobConfig.DumpFormat.DIRECTORY
                    ? Integer.valueOf(0) : options.dumpCompression();
            items.add(SpaceChecks.space("space.staging", "the local staging directory " + stagingRoot, SpaceChecks.free(stagingRoot), source.dataBytes(),
                    stagingCompression).withMore(reclaimed + failedStaging.described(stagingRoot)));
            items.add(SpaceChecks.space("space.intermediate", "the drop directory on " + job.intermediate().host(), dropFree, source.dataBytes(),
                    options.dumpCompression()));
        }
        items.add(PrecheckItem.pass("retry.windows", "connection failures retried for "
                + RetryDuration.format(options.retryConnection()) + ", other failures for " + RetryDuration.format(options.retryOther())));
        return items;
    }

    /** Staging copies of ended runs discarded, oldest first, until the tables to dump fit: "" if none had to go. */
    private String reclaimed(Path stagingRoot, long needed, String runId) {
        Long free = SpaceChecks.free(stagingRoot);
        if (free == null || free >= needed) {
            return "";
        }
        try {
            List<String> gone = failedStaging.makeRoom(stagingRoot, needed - free, runId);
            return gone.isEmpty() ? "" : "; the staging copies of ended runs " + String.join(", ", gone) + " were discarded to make room";
        } catch (java.io.IOException e) {
            return "; the staging copies of ended runs could not be discarded: " + e.getMessage();
        }
    }

    /** The items already recorded (the export agent's, when an import agent adds its own). */
    private List<PrecheckItem> previous(String runId) {
        String stored = store.find(runId).map(r -> r.precheckJson()).orElse(null);
        if (stored == null) {
            return List.of();
        }
        try {
            return List.of(json.readValue(stored, PrecheckItem[].class));
        } catch (Exception e) {
            return List.of();
        }
    }

}

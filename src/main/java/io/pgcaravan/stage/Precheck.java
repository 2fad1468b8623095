package io.pgcaravan.stage;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.retry.FailureClass;
import io.pgcaravan.retry.FailureClassifier;
import io.pgcaravan.run.RunContext;
import io.pgcaravan.run.RunHeaders;
import io.pgcaravan.run.RunStore;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageFailedException;
import io.pgcaravan.sftp.SftpProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Header;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The precheck stage: a list of named items, each PASS, WARN or FAIL with its reason. Reads only;
 * a FAIL stops the run before anything is written anywhere.
 */
@ApplicationScoped
@Named("precheck")
public class Precheck {

    private static final Logger LOG = Logger.getLogger(Precheck.class);
    private static final int MAX_LISTED = 50;

    @Inject
    Runs runs;
    @Inject
    RunStore store;
    @Inject
    PgTools tools;

    /** Runs the precheck for a run, records the report with it and fails the stage on any FAIL. */
    public void run(@Header(RunHeaders.RUN_ID) String runId) {
        RunContext ctx = runs.context(runId);
        List<PrecheckItem> items = check(ctx.job(), runId);
        store.setPrecheck(runId, runs.toJson(items));
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

    public List<PrecheckItem> check(JobConfig job, String probeName) {
        List<PrecheckItem> items = new ArrayList<>();
        Integer sourceMajor = null;
        List<Catalog.Table> sourceTables = List.of();

        try (Connection src = PgConnections.open(job.source(), job.source().database())) {
            sourceMajor = Catalog.serverMajor(src);
            sourceTables = Catalog.tables(src);
            items.add(PrecheckItem.pass("source.connection", "connected to " + where(job.source())
                    + " as " + job.source().user() + ", PostgreSQL " + Catalog.serverVersion(src)
                    + ", " + sourceTables.size() + " tables"));
        } catch (SQLException e) {
            items.add(connectionFailure("source.connection", where(job.source()), e));
        }

        items.add(toolVersion("pg_dump", sourceMajor));
        items.add(toolVersion("pg_restore", sourceMajor));

        items.addAll(destination(job, sourceMajor, sourceTables));

        if (!job.intermediate().strictHostKeyChecking()) {
            items.add(PrecheckItem.warn("intermediate.host-key", "host key checking is OFF for " + job.intermediate().host()
                    + " (intermediate.strict-host-key-checking=false): the dump could be intercepted"));
        }
        try {
            items.add(PrecheckItem.pass("intermediate.connection", SftpProbe.check(job.intermediate(), probeName)));
        } catch (SftpProbe.ProbeException e) {
            items.add(e.unreachable() ? PrecheckItem.unreachable("intermediate.connection", e.getMessage())
                    : PrecheckItem.fail("intermediate.connection", e.getMessage()));
        }
        return items;
    }

    private PrecheckItem toolVersion(String tool, Integer sourceMajor) {
        String item = "tools." + tool;
        try {
            int major = tools.majorVersion(tool);
            if (sourceMajor == null) {
                return PrecheckItem.warn(item, tools.path(tool) + " is version " + major + "; source version unknown");
            }
            if (major < sourceMajor) {
                return PrecheckItem.fail(item, tools.path(tool) + " is version " + major + ", older than the source ("
                        + sourceMajor + "): install the PostgreSQL " + sourceMajor + " client tools");
            }
            return PrecheckItem.pass(item, tools.path(tool) + " version " + major + " can read source version " + sourceMajor);
        } catch (Exception e) {
            return PrecheckItem.fail(item, "cannot run " + tools.path(tool) + ": " + e.getMessage());
        }
    }

    private List<PrecheckItem> destination(JobConfig job, Integer sourceMajor, List<Catalog.Table> sourceTables) {
        List<PrecheckItem> items = new ArrayList<>();
        JobConfig.DatabaseEndpoint dst = job.destination();
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            int major = Catalog.serverMajor(maint);
            boolean exists = Catalog.databaseExists(maint, dst.database());
            items.add(PrecheckItem.pass("destination.connection", "connected to " + where(dst) + " as " + dst.user()
                    + ", PostgreSQL " + Catalog.serverVersion(maint) + "; database " + dst.database()
                    + (exists ? " exists" : " will be created")));
            if (sourceMajor != null) {
                items.add(major >= sourceMajor
                        ? PrecheckItem.pass("destination.version", "destination " + major + " >= source " + sourceMajor)
                        : PrecheckItem.warn("destination.version", "destination " + major + " is older than source "
                        + sourceMajor + ": objects using newer features will fail to restore"));
            }
            if (exists) {
                items.add(conflicts(dst, sourceTables));
            }
        } catch (SQLException e) {
            items.add(connectionFailure("destination.connection", where(dst), e));
        }
        return items;
    }

    /** Tables the restore would create but that already exist on the destination. */
    private PrecheckItem conflicts(JobConfig.DatabaseEndpoint dst, List<Catalog.Table> sourceTables) {
        try (Connection c = PgConnections.open(dst, dst.database())) {
            Set<String> existing = new HashSet<>();
            for (Catalog.Table t : Catalog.tables(c)) {
                existing.add(t.display());
            }
            List<String> clashing = sourceTables.stream().map(Catalog.Table::display).filter(existing::contains).toList();
            if (clashing.isEmpty()) {
                return PrecheckItem.pass("destination.conflicts", "none of the source's tables exist in " + dst.database());
            }
            return PrecheckItem.fail("destination.conflicts", clashing.size() + " of the source's tables already exist in "
                    + dst.database() + ": " + clashing.stream().limit(5).collect(Collectors.joining(", "))
                    + (clashing.size() > 5 ? ", ..." : ""), clashing.stream().limit(MAX_LISTED).toList());
        } catch (SQLException e) {
            return PrecheckItem.fail("destination.conflicts", "cannot read " + dst.database() + ": " + e.getMessage());
        }
    }

    private static PrecheckItem connectionFailure(String item, String where, SQLException e) {
        String message = "cannot connect to " + where + ": " + e.getMessage();
        return FailureClassifier.classify(e) == FailureClass.CONNECTION
                ? PrecheckItem.unreachable(item, message) : PrecheckItem.fail(item, message);
    }

    private static String where(JobConfig.DatabaseEndpoint ep) {
        return ep.host() + ":" + ep.port() + "/" + ep.database();
    }
}

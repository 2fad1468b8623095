package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.live.Half;

import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.stage.io.Staging;
import io.pgcaravan.stage.io.ToolCall;

import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.work.RunContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.List;

/**
 * The roles stage's pg_dumpall call: the source's roles, as the guides take them
 * ({@code pg_dumpall --roles-only}), into a 0600 file that travels with the dump.
 */
@ApplicationScoped
@Named("roles")
public class Roles {

    @Inject
    RunContexts contexts;
    @Inject
    PassFiles passFiles;
    @Inject
    PgTools tools;

    /** Sets up the call; false when the job does not migrate roles. */
    public boolean command(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        if (!ctx.job().roles().migrate()) {
            exchange.setProperty(StageDetail.PROPERTY, "skipped (roles.migrate=false)");
            return false;
        }
        Staging.create(ctx.stagingDir());
        // the file holds password hashes: created private before pg_dumpall writes into it
        java.nio.file.Path file = Staging.privateFile(ctx.stagingDir().resolve(DeliveryFiles.ROLES));
        List<String> args = new ArrayList<>();
        args.add("--roles-only");
        if (!ctx.job().roles().passwords()) {
            args.add("--no-role-passwords");
        }
        args.add("--no-password");
        args.add("--file=" + file);
        args.add("--dbname=" + ConnInfo.of(ctx.job().source(), ctx.job().source().maintenanceDatabase(),
                passFiles.forRun(ctx.runId(), Half.EXPORT, ctx.job())));
        ToolCall.set(exchange.getMessage(), tools.path("pg_dumpall"), args);
        exchange.setProperty(StageDetail.PROPERTY, ctx.job().roles().passwords() ? "roles with their passwords" : "roles without passwords");
        return true;
    }
}

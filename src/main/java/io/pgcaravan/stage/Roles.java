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

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.delivery.RolesFile;
import io.pgcaravan.pg.NeededRoles;
import io.pgcaravan.pg.PgConnections;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Set;
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

    /**
     * After pg_dumpall: with roles.scope=needed (the default) only the roles the database needs
     * stay in the file (NeededRoles): a migrated database does not bring every role of its
     * cluster, such as an unrelated superuser.
     */
    public void select(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        String detail = exchange.getProperty(StageDetail.PROPERTY, String.class);
        if (ctx.job().roles().scope() == JobConfig.Roles.RoleScope.ALL) {
            exchange.setProperty(StageDetail.PROPERTY, detail + ", every role of the source (roles.scope=all)");
            return;
        }
        Set<String> needed;
        try (Connection c = PgConnections.open(ctx.job().source(), ctx.job().source().database())) {
            needed = NeededRoles.of(c);
        }
        Path file = ctx.stagingDir().resolve(DeliveryFiles.ROLES);
        RolesFile.Selected selected = RolesFile.select(Files.readString(file, StandardCharsets.UTF_8), needed);
        Files.writeString(file, selected.script(), StandardCharsets.UTF_8);
        exchange.setProperty(StageDetail.PROPERTY, detail + ", the " + selected.kept().size() + " the database needs ("
                + String.join(", ", selected.kept()) + ")" + (selected.leftOut().isEmpty() ? ""
                : "; " + selected.leftOut().size() + " left behind (roles.scope=all takes them too)"));
    }
}

package io.pgcaravan.stage.prepare;

import io.pgcaravan.delivery.RoleMap;
import io.pgcaravan.delivery.RolesFile;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.stage.io.Staging;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.StageFailedException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs the source's roles, rewritten for the destination, in one transaction (so a failure leaves
 * no half-made roles behind and the stage can simply be retried). The statements run are kept
 * with the run for audit, readable by the owner only; they are never logged with their passwords.
 */
public final class RoleMigration {

    private static final Logger LOG = Logger.getLogger(RoleMigration.class);

    private RoleMigration() {
    }

    /** Returns a one-line summary; warnings go to the log. */
    public static String apply(RunContext ctx, Connection maint, RunLog runLog, RoleMap map) throws SQLException, IOException {
        Path script = ctx.verifiedDir().resolve(DeliveryFiles.ROLES);
        if (!ctx.job().roles().migrate() || !Files.exists(script, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return "roles not migrated";
        }
        // only a roles.sql the export half sent (the checksum stage checked every file the signed list names)
        boolean listed = io.pgcaravan.delivery.DeliveryTree.read(ctx.verifiedDir().resolve(DeliveryFiles.CHECKSUMS), DeliveryFiles.MAX_LIST)
                .lines().anyMatch(l -> l.endsWith("  " + DeliveryFiles.ROLES));
        if (!listed) {
            throw new StageFailedException("the delivery holds a " + DeliveryFiles.ROLES + " its signed checksum list does not name: "
                    + "refused, not run (the export half sends one only with roles.migrate=true)");
        }
        Path audit = ctx.workDirMade().resolve(DeliveryFiles.ROLES_APPLIED);
        Path pending = audit.resolveSibling(audit.getFileName() + ".pending");
        Set<String> existing = new HashSet<>(Catalog.strings(maint, "SELECT rolname FROM pg_roles"));
        if (!Files.exists(audit) && Files.exists(pending) && existing.containsAll(created(pending))) {
            // the commit of an earlier attempt went through though its answer was lost: it stands
            Files.move(pending, audit, StandardCopyOption.ATOMIC_MOVE);
        }
        if (Files.exists(audit)) {
            // moved into place once the roles were committed: an earlier attempt of this run made them
            return "roles migrated by an earlier attempt (" + audit.getFileName() + ")";
        }
        JobConfig.Flavour flavour = ctx.job().flavour();
        RoleScript.Rewritten roles = RoleScript.rewrite(io.pgcaravan.delivery.DeliveryTree.read(script, DeliveryFiles.MAX_LIST), flavour, existing, map);

        // what this attempt is about to commit, kept whole before the commit: the roles it creates
        // are then known even if the commit's answer never comes back
        keepForAudit(pending, roles);
        boolean autoCommit = maint.getAutoCommit();
        maint.setAutoCommit(false);
        try (Statement st = maint.createStatement()) {
            for (RoleScript.Statement s : roles.statements()) {
                try {
                    st.execute(s.sql());
                } catch (SQLException e) {
                    maint.rollback();
                    if (e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"))) {
                        throw e;
                    }
                    throw new StageFailedException("role migration failed (nothing of it was kept) at " + s.shown()
                            + ": " + e.getMessage());
                }
            }
            maint.commit();
        } finally {
            maint.setAutoCommit(autoCommit);
        }
        Files.move(pending, audit, StandardCopyOption.ATOMIC_MOVE);
        roles.warnings().forEach(w -> runLog.warn(LOG, ctx.runId(), String.format("roles: %s", w)));
        return roles.created().size() + " roles created (" + flavour.name().toLowerCase() + "), "
                + roles.kept().size() + " already there";
    }

    /**
     * What the run did to the roles, in its work directory (not the drop directory): the roles
     * it created and those it found, and the statements it ran with their passwords masked, for
     * audit and for the verification, which compares the destination's roles with them.
     */
    /** The roles an audit file says were created. */
    private static List<String> created(Path audit) throws IOException {
        return Files.readAllLines(audit, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith(RolesFile.CREATED)).findFirst()
                .map(l -> RolesFile.names(l.substring(RolesFile.CREATED.length()))).orElse(List.of());
    }

    private static void keepForAudit(Path file, RoleScript.Rewritten roles) throws IOException {
        StringBuilder sb = new StringBuilder("-- role statements pg-caravan ran on the destination\n");
        sb.append(RolesFile.CREATED).append(String.join(" ", roles.created().stream().map(PgConnections::ident).toList())).append('\n');
        sb.append(RolesFile.KEPT).append(String.join(" ", roles.kept().stream().map(PgConnections::ident).toList())).append('\n');
        roles.warnings().forEach(w -> sb.append("-- ").append(w).append('\n'));
        roles.statements().forEach(s -> sb.append(s.shown()).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".writing");
        Staging.privateFile(tmp);
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

package io.pgcaravan.stage.precheck;

import io.pgcaravan.pg.NeededRoles;
import io.pgcaravan.pg.SuperuserOnly;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.ObjectSelection;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.SourceInspection;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** The precheck items of the source side: connection, selection, privileges, what managed destinations refuse, the write freeze. */
public final class SourceChecks {

    public static SourceFacts check(JobConfig job, ObjectSelection selection, List<PrecheckItem> items) {
        try (Connection src = PgConnections.open(job.source(), job.source().database())) {
            int major = Catalog.serverMajor(src);
            List<String> tables = selection.tables(Catalog.tables(src)).stream().map(Catalog.Table::display).toList();
            items.add(PrecheckItem.pass("source.connection", "connected to " + Items.where(job.source())
                    + " as " + job.source().user() + ", PostgreSQL " + Catalog.serverVersion(src)
                    + ", " + tables.size() + " tables to migrate"));
            if (!selection.isEverything() && tables.isEmpty()) {
                items.add(PrecheckItem.fail("source.selection", "the job's select.* patterns match no table"));
            }
            List<String> unreadable = SourceInspection.unreadable(src, selection);
            items.add(unreadable.isEmpty()
                    ? PrecheckItem.pass("source.privileges", job.source().user() + " can read every object to migrate")
                    : PrecheckItem.fail("source.privileges", job.source().user() + " cannot read " + unreadable.size()
                    + " objects (needs USAGE on their schema and SELECT): " + Items.listed(unreadable), Items.limit(unreadable)));
            List<String> cFunctions = SourceInspection.cFunctions(src, selection);
            if (!cFunctions.isEmpty()) {
                items.add(PrecheckItem.warn("source.c-functions", cFunctions.size()
                        + " functions written in C, which managed destinations refuse: " + Items.listed(cFunctions), Items.limit(cFunctions)));
            }
            List<String> noKey = SourceInspection.withoutKey(src, selection);
            if (!noKey.isEmpty()) {
                items.add(PrecheckItem.warn("source.tables-without-key", noKey.size()
                        + " tables have no primary key or unique constraint (duplicate rows are copied as they are): "
                        + Items.listed(noKey), Items.limit(noKey)));
            }
            long largeObjects = SourceInspection.largeObjects(src);
            if (largeObjects > 0) {
                items.add(PrecheckItem.warn("source.large-objects", largeObjects
                        + " large objects: they travel in the dump, which takes longer than table data of the same size"));
            }
            if (job.roles().migrate() && job.roles().passwords() && !SourceInspection.canReadPasswords(src)) {
                items.add(PrecheckItem.fail("roles.passwords", job.source().user() + " cannot read the roles' passwords "
                        + "(pg_authid), as on managed sources: set roles.passwords=false to migrate the roles without them"));
            }
            if (job.freezeSourceWrites()) {
                long sessions = SourceInspection.otherSessions(src);
                items.add(sessions == 0 ? PrecheckItem.pass("source.sessions", "no other session is connected to "
                        + job.source().database() + "; the write freeze covers every new one")
                        : PrecheckItem.warn("source.sessions", sessions + " other sessions are connected to "
                        + job.source().database() + ": the write freeze only applies to sessions that start after it"));
            }
            List<String> superuserOnly = SuperuserOnly.of(src);
            if (!superuserOnly.isEmpty()) {
                items.add(PrecheckItem.warn("source.superuser-only", superuserOnly.size() + " things only a superuser can restore, "
                        + "which a managed destination refuses: " + Items.listed(superuserOnly), Items.limit(superuserOnly)));
            }
            return new SourceFacts(major, tables, Catalog.databaseSettings(src), SourceInspection.extensions(src),
                    SourceInspection.dataBytes(src, selection), Catalog.strings(src, "SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1"),
                    Catalog.strings(src, "SELECT rolname FROM pg_roles WHERE oid = 10").get(0),
                    List.copyOf(NeededRoles.acting(src)), superuserOnly);
        } catch (SQLException e) {
            items.add(Items.connectionFailure("source.connection", Items.where(job.source()), e));
            return null;
        }
    }

    private SourceChecks() {
    }
}

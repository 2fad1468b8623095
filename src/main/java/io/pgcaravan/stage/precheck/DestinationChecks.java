package io.pgcaravan.stage.precheck;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.delivery.RoleMap;
import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.stage.prepare.RoleScript;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The precheck items of the destination side: connection, version, privileges, flavour, extensions, locale, conflicts. */
public final class DestinationChecks {

    public static void check(JobConfig job, SourceFacts source, List<PrecheckItem> items, PgTools tools) {
        JobConfig.DatabaseEndpoint dst = job.destination();
        try (Connection maint = PgConnections.open(dst, dst.maintenanceDatabase())) {
            int major = Catalog.serverMajor(maint);
            boolean exists = Catalog.databaseExists(maint, dst.database());
            items.add(PrecheckItem.pass("destination.connection", "connected to " + Items.where(dst) + " as " + dst.user()
                    + ", PostgreSQL " + Catalog.serverVersion(maint) + "; database " + dst.database()
                    + (exists ? " exists" : " will be created")));
            if (source != null) {
                items.add(major >= source.major()
                        ? PrecheckItem.pass("destination.version", "destination " + major + " >= source " + source.major())
                        : PrecheckItem.warn("destination.version", "destination " + major + " is older than source "
                        + source.major() + ": objects using newer features will fail to restore"));
            }
            items.add(ToolChecks.verification(tools, major, job.verify().schema()));
            items.add(privileges(maint, dst, exists));
            items.add(flavour(maint, job.flavour()));
            if (source != null && source.actingRoles() != null) {
                items.add(ownership(maint, job, source));
            }
            if (source != null && source.superuserOnly() != null && !superuser(maint) && !source.superuserOnly().isEmpty()) {
                items.add(PrecheckItem.fail("destination.superuser-only", dst.user() + " is not a superuser, as on every managed "
                        + "service, and the source has " + source.superuserOnly().size() + " things only a superuser can restore: "
                        + Items.listed(source.superuserOnly()) + "; leave them out of the dump (select.*) or drop them on the source "
                        + "and make them on the destination the provider's way", Items.limit(source.superuserOnly())));
            }
            if (source != null) {
                List<String> available = Catalog.strings(maint, "SELECT name FROM pg_available_extensions");
                List<String> missing = source.extensions().stream().filter(e -> !available.contains(e)).toList();
                items.add(missing.isEmpty()
                        ? PrecheckItem.pass("destination.extensions", source.extensions().isEmpty() ? "the source uses no extensions"
                        : "all extensions the source uses are available: " + String.join(", ", source.extensions()))
                        : PrecheckItem.fail("destination.extensions", "extensions used on the source are not available on the destination: "
                        + String.join(", ", missing), missing));
                if (!exists) {
                    items.add(locale(maint, source.settings()));
                }
            }
            if (exists && source != null) {
                items.add(conflicts(job, source.tables()));
            }
        } catch (SQLException e) {
            items.add(Items.connectionFailure("destination.connection", Items.where(dst), e));
        }
    }

    public static PrecheckItem privileges(Connection maint, JobConfig.DatabaseEndpoint dst, boolean exists) throws SQLException {
        if (exists) {
            try (var ps = maint.prepareStatement("SELECT has_database_privilege(?, 'CREATE')")) {
                ps.setString(1, dst.database());
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1)
                            ? PrecheckItem.pass("destination.privileges", dst.user() + " may create objects in " + dst.database())
                            : PrecheckItem.fail("destination.privileges", dst.user() + " has no CREATE privilege on database "
                            + dst.database() + ": make it the owner or GRANT CREATE ON DATABASE");
                }
            }
        }
        long canCreate = Catalog.number(maint, "SELECT CASE WHEN rolsuper OR rolcreatedb THEN 1 ELSE 0 END FROM pg_roles WHERE rolname = current_user");
        return canCreate == 1
                ? PrecheckItem.pass("destination.privileges", dst.user() + " may create database " + dst.database())
                : PrecheckItem.fail("destination.privileges", dst.user() + " may not create databases (CREATEDB): "
                + "create " + dst.database() + " beforehand or grant CREATEDB");
    }

    private static boolean superuser(Connection maint) throws SQLException {
        return Catalog.number(maint, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolsuper") > 0;
    }

    /**
     * Every role the restore acts as (owners, grantors, default-privilege roles), and how the
     * login will act as it: it is that role or a superuser, it is already a member, the run will
     * make it a member (it may grant the role: CREATEROLE before PostgreSQL 16, ADMIN OPTION from
     * 16 on, which it has on the roles the run creates), or the role is mapped (RoleMap). FAIL,
     * with both fixes, for the roles none of these covers.
     */
    public static PrecheckItem ownership(Connection maint, JobConfig job, SourceFacts source) throws SQLException {
        if (superuser(maint)) {
            return PrecheckItem.pass("destination.ownership", job.destination().user() + " is a superuser: it gives every object "
                    + "its owner (" + source.actingRoles().size() + " roles own, grant or set default privileges)");
        }
        RoleMap map = RoleMap.of(job.roles().map(), source.superusers(), source.bootstrap(), maint);
        String login = Catalog.strings(maint, "SELECT current_user").get(0);
        boolean pg16 = Catalog.serverMajor(maint) >= 16;
        boolean createRole = Catalog.number(maint, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolcreaterole") > 0;
        List<String> how = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String role : source.actingRoles()) {
            String to = map.to(role);
            if (!to.equals(role)) {
                how.add(role + ": mapped to " + to);
                continue;
            }
            if (role.equals(login)) {
                how.add(role + ": the login itself");
                continue;
            }
            String state = Catalog.strings(maint, "SELECT CASE WHEN r.oid IS NULL THEN 'missing' WHEN r.rolsuper THEN 'superuser' "
                    + "WHEN pg_has_role(current_user, r.oid, 'USAGE') THEN 'member' "
                    + "WHEN EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid AND m.member = (SELECT oid FROM pg_roles "
                    + "WHERE rolname = current_user) AND m.admin_option) THEN 'admin' ELSE 'other' END "
                    + "FROM (SELECT " + PgConnections.literal(role) + "::text AS n) x LEFT JOIN pg_roles r ON r.rolname = x.n").get(0);
            switch (state) {
                case "missing" -> {
                    if (job.roles().migrate() && createRole) {
                        how.add(role + ": created by the run, then granted to " + login + " until the verification has done");
                    } else {
                        problems.add(role + " does not exist on the destination" + (job.roles().migrate() ? " and " + login
                                + " may not create roles (CREATEROLE)" : " (roles.migrate=false)"));
                    }
                }
                case "member" -> how.add(role + ": " + login + " is a member");
                case "admin" -> how.add(role + ": granted to " + login + " until the verification has done (ADMIN OPTION)");
                case "superuser" -> problems.add(role + " is a superuser on the destination, which " + login + " cannot act as");
                default -> {
                    if (!pg16 && createRole) {
                        how.add(role + ": granted to " + login + " until the verification has done (CREATEROLE)");
                    } else {
                        problems.add(role + " exists on the destination and " + login + " may not grant it to itself ("
                                + (pg16 ? "PostgreSQL 16 and later need ADMIN OPTION on it" : "no CREATEROLE") + ")");
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            return PrecheckItem.fail("destination.ownership", problems.size() + " of the roles that own, grant or set default "
                    + "privileges cannot be acted as by " + login + ": " + String.join("; ", problems)
                    + ". For each: have a role with ADMIN OPTION on it run GRANT <role> TO " + login
                    + ", or map it to a role the login can be: caravan.jobs.<job>.roles.map.<role>=" + login, problems);
        }
        return PrecheckItem.pass("destination.ownership", login + " can give every object its owner: " + String.join("; ", how));
    }

    /** A managed flavour's superuser role must be there, or the job names the wrong flavour. */
    public static PrecheckItem flavour(Connection maint, JobConfig.Flavour flavour) throws SQLException {
        String role = RoleScript.superuserRole(flavour);
        if (role == null) {
            return PrecheckItem.pass("destination.flavour", "plain PostgreSQL: roles are created as they are on the source");
        }
        boolean present = Catalog.number(maint, "SELECT count(*) FROM pg_roles WHERE rolname = '" + role + "'") > 0;
        return present
                ? PrecheckItem.pass("destination.flavour", flavour.name().toLowerCase(Locale.ROOT) + ": SUPERUSER roles become members of " + role)
                : PrecheckItem.fail("destination.flavour", "flavour " + flavour.name().toLowerCase(Locale.ROOT)
                + " but the destination has no role " + role + ": is caravan.jobs.<job>.flavour right?");
    }

    /** The source's collation and ctype must exist on the destination for CREATE DATABASE to take them. */
    public static PrecheckItem locale(Connection maint, Catalog.DatabaseSettings source) throws SQLException {
        Set<String> known = new HashSet<>(Catalog.strings(maint, "SELECT collcollate FROM pg_collation WHERE collcollate IS NOT NULL"));
        known.addAll(Set.of("C", "POSIX"));
        Set<String> normalized = known.stream().map(DestinationChecks::normalizeLocale).collect(Collectors.toSet());
        List<String> missing = new ArrayList<>();
        for (String l : new java.util.LinkedHashSet<>(List.of(source.collate(), source.ctype()))) {
            if (!normalized.contains(normalizeLocale(l))) {
                missing.add(l);
            }
        }
        if (missing.isEmpty()) {
            return PrecheckItem.pass("destination.locale", "collation " + source.collate() + " and ctype " + source.ctype()
                    + " are available for the new database");
        }
        String language = missing.get(0).split("[._@]")[0].toLowerCase(Locale.ROOT);
        List<String> alternatives = known.stream().filter(k -> k.toLowerCase(Locale.ROOT).startsWith(language)).sorted().limit(8).toList();
        return PrecheckItem.fail("destination.locale", "locale " + String.join(", ", missing) + " of the source does not exist on the destination"
                + (alternatives.isEmpty() ? "" : "; it offers " + String.join(", ", alternatives)), alternatives);
    }

    /** The C library treats "en_US.UTF-8" and "en_US.utf8" as the same locale. */
    public static String normalizeLocale(String locale) {
        int dot = locale.indexOf('.');
        if (dot < 0) {
            return locale;
        }
        int at = locale.indexOf('@', dot);
        String codeset = (at < 0 ? locale.substring(dot + 1) : locale.substring(dot + 1, at)).toLowerCase(Locale.ROOT).replace("-", "");
        return locale.substring(0, dot) + "." + codeset + (at < 0 ? "" : locale.substring(at));
    }

    /** Tables the restore would create but that already exist on the destination. */
    public static PrecheckItem conflicts(JobConfig job, List<String> sourceTables) {
        JobConfig.DatabaseEndpoint dst = job.destination();
        try (Connection c = PgConnections.open(dst, dst.database())) {
            Set<String> existing = Catalog.tables(c).stream().map(Catalog.Table::display).collect(Collectors.toSet());
            List<String> clashing = sourceTables.stream().filter(existing::contains).toList();
            if (clashing.isEmpty()) {
                return PrecheckItem.pass("destination.conflicts", "none of the tables to migrate exist in " + dst.database());
            }
            String message = clashing.size() + " of the tables to migrate already exist in " + dst.database() + ": " + Items.listed(clashing);
            return switch (job.conflicts()) {
                case IGNORE -> PrecheckItem.warn("destination.conflicts", message
                        + " (conflicts=ignore: their rows are loaded into the existing tables)", Items.limit(clashing));
                case REPLACE -> PrecheckItem.warn("destination.conflicts", message
                        + " (conflicts=replace: the database is dropped and created anew before the restore)", Items.limit(clashing));
                case FAIL -> PrecheckItem.fail("destination.conflicts", message, Items.limit(clashing));
            };
        } catch (SQLException e) {
            return PrecheckItem.fail("destination.conflicts", "cannot read " + dst.database() + ": " + e.getMessage());
        }
    }

    private DestinationChecks() {
    }
}

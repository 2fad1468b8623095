package io.pgcaravan.stage.ownership;

import io.pgcaravan.pg.Catalog;
import io.pgcaravan.pg.PgConnections;
import io.pgcaravan.work.StageFailedException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a login that is not a superuser needs to give objects their owners: to be able to act as
 * each owner (SET ROLE), as each grantor of a grant chain and each default-privilege role, and to
 * read what those roles own for the verification. A managed service's guide has its master user
 * granted the roles it migrates; this does it for the run, only where the login lacks it, and
 * records each grant in the run's work directory ({@value #GRANTED}) so that the verification
 * revokes exactly those again when it has done, and a retry or a later verification grants
 * them anew ({@value #NEEDED}). On PostgreSQL 15 and before CREATEROLE allows these grants; from
 * 16 on the login needs ADMIN OPTION on the role, which it has on every role it created itself.
 */
public final class Memberships {

    /** The roles this run granted to its login and has not revoked yet, one per line. */
    public static final String GRANTED = "memberships.granted";
    /** Every role the run's stages needed to act as, one per line. */
    public static final String NEEDED = "memberships.needed";

    private Memberships() {
    }

    /**
     * Makes the login able to act as each of the roles (those it is not already), and records
     * them. Returns the roles it granted now; nothing for a superuser, who needs none.
     */
    public static List<String> ensure(Connection c, Path workDir, Collection<String> roles) throws SQLException, IOException {
        if (superuser(c) || roles.isEmpty()) {
            return List.of();
        }
        Set<String> needed = new LinkedHashSet<>(read(workDir.resolve(NEEDED)));
        if (needed.addAll(roles)) {
            Files.write(workDir.resolve(NEEDED), needed, StandardCharsets.UTF_8);
        }
        String login = Catalog.strings(c, "SELECT current_user").get(0);
        boolean setOption = Catalog.serverMajor(c) >= 16;
        List<String> granted = new ArrayList<>();
        for (String role : new LinkedHashSet<>(roles)) {
            if (role.equals(login) || !exists(c, role) || canActAs(c, role, setOption)) {
                continue;
            }
            try (Statement st = c.createStatement()) {
                st.execute("GRANT " + PgConnections.ident(role) + " TO " + PgConnections.ident(login));
            } catch (SQLException e) {
                if (e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"))) {
                    throw e;
                }
                throw new StageFailedException("the destination's login " + login + " must be able to act as role " + role
                        + " to give it its objects, and cannot make itself a member (" + e.getMessage().strip() + "): "
                        + "have a role with ADMIN OPTION on it run GRANT " + PgConnections.ident(role) + " TO "
                        + PgConnections.ident(login) + " (on PostgreSQL 16 and later CREATEROLE alone no longer allows it), "
                        + "or map it: caravan.jobs.<job>.roles.map." + role + "=" + login + "; the run waits for either and retries");
            }
            Files.writeString(workDir.resolve(GRANTED), role + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            granted.add(role);
        }
        return granted;
    }

    /** {@link #ensure} for every role the run has needed so far (a verification after the restore). */
    public static List<String> ensureRecorded(Connection c, Path workDir) throws SQLException, IOException {
        return ensure(c, workDir, read(workDir.resolve(NEEDED)));
    }

    /** Revokes what the run granted its login; returns those roles. */
    public static List<String> release(Connection c, Path workDir) throws SQLException, IOException {
        Path file = workDir.resolve(GRANTED);
        List<String> granted = new ArrayList<>(new LinkedHashSet<>(read(file)));
        if (granted.isEmpty()) {
            return List.of();
        }
        String login = Catalog.strings(c, "SELECT current_user").get(0);
        for (String role : granted) {
            if (exists(c, role)) {
                try (Statement st = c.createStatement()) {
                    st.execute("REVOKE " + PgConnections.ident(role) + " FROM " + PgConnections.ident(login));
                }
            }
        }
        Files.delete(file);
        return granted;
    }

    /** The roles the run has granted its login and not revoked yet. */
    public static List<String> held(Path workDir) throws IOException {
        return List.copyOf(new LinkedHashSet<>(read(workDir.resolve(GRANTED))));
    }

    private static boolean superuser(Connection c) throws SQLException {
        return Catalog.number(c, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolsuper") > 0;
    }

    private static boolean exists(Connection c, String role) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Whether the login has the role's privileges and (16+) may SET ROLE to it. */
    private static boolean canActAs(Connection c, String role, boolean setOption) throws SQLException {
        String sql = "SELECT pg_has_role(current_user, r.oid, 'USAGE')" + (setOption ? " AND pg_has_role(current_user, r.oid, 'SET')" : "")
                + " FROM pg_roles r WHERE r.rolname = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static List<String> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    }
}

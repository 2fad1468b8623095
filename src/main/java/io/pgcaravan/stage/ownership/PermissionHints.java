package io.pgcaravan.stage.ownership;

import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What to do about a permission the destination refused: the role to act as and the two ways to
 * allow it (a grant, or a mapping), or that only a superuser may do it. A refused permission is
 * retried within the job's window like other failures, which helps only if someone acts: the
 * hint says the run is waiting for that.
 */
public final class PermissionHints {

    private static final Pattern ROLE = Pattern.compile("must be (?:a )?member of role \"([^\"]+)\"|must be able to SET ROLE \"([^\"]+)\"");

    private PermissionHints() {
    }

    /** "; ..." to append to the error, or "" if it is not about a permission. */
    public static String hint(SQLException e, String statement, String login) {
        String message = String.valueOf(e.getMessage());
        boolean permission = "42501".equals(e.getSQLState()) || message.contains("must be owner of")
                || message.contains("must be member of") || message.contains("permission denied") || message.contains("must be superuser");
        if (!permission) {
            return "";
        }
        Matcher m = ROLE.matcher(message);
        if (m.find()) {
            String role = m.group(1) != null ? m.group(1) : m.group(2);
            return "; the destination's login " + login + " must be able to act as role " + role + ": GRANT \"" + role + "\" TO "
                    + login + " (as a role with ADMIN OPTION on it), or map it with caravan.jobs.<job>.roles.map." + role + "=" + login
                    + "; the run is retried within its window, waiting for either";
        }
        if (message.contains("must be superuser") || message.contains("superuser")) {
            return "; only a superuser may do this, and a managed destination gives nobody SUPERUSER: leave the object out of the "
                    + "dump (caravan.jobs.<job>.select) or make it there in another way (the precheck lists what such services refuse)";
        }
        return "; the destination's login " + login + " lacks a privilege this needs: grant it (or map the role whose object it is, "
                + "roles.map), and the run is retried within its window, waiting for that";
    }
}

package io.pgcaravan.it;

import io.pgcaravan.check.IndependentChecker;

import java.nio.file.Path;
import java.util.List;

/** The nasty fixture, and the independent checker's verdict on a test job's two databases. */
final class Faithful {

    static final Path ROLES = Path.of("src/test/resources/nasty-roles.sql");
    static final Path NASTY = Path.of("src/test/resources/nasty.sql");

    private Faithful() {
    }

    /** A job's source made from the nasty fixture (with psql: it uses psql variables), no destination. */
    static void freshNastyJob(String job) throws Exception {
        nastySource(job);
        // the destination as the run finds it: none of the nasty roles, so that the run makes them all
        for (String other : NASTY_JOBS) {
            Stack.dropDestination(StackResource.destinationDb(other));
        }
        try (var c = Stack.destination("postgres")) {
            dropNastyRoles(c);
        }
    }

    /** A job's source made from the nasty fixture, its destination on the managed-like cluster as a run finds it. */
    static void freshNastyManagedJob(String job) throws Exception {
        nastySource(job);
        try (var c = Stack.managedProvider("postgres"); var st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + StackResource.destinationDb(job) + " WITH (FORCE)");
            dropNastyRoles(c);
        }
    }

    /**
     * The checker's verdict on a job into the managed-like destination, read there as the
     * provider's superuser; the source's superusers are the login there (the documented default).
     */
    static List<String> managedDifferences(String job, String login) throws Exception {
        java.util.Map<String, String> mapped = new java.util.TreeMap<>();
        for (String superuser : List.of(Stack.ADMIN, "postgres")) {
            if (!superuser.equals(login)) {
                mapped.put(superuser, login);
            }
        }
        return managedDifferences(job, mapped);
    }

    /** The same with the roles.map the job documents. */
    static List<String> managedDifferences(String job, java.util.Map<String, String> mapped) throws Exception {
        return IndependentChecker.differences(
                new IndependentChecker.Side(Stack.SOURCE_PORT, Stack.ADMIN, Stack.sourcePassword(), StackResource.sourceDb(job)),
                new IndependentChecker.Side(Stack.MANAGED_PORT, Stack.PROVIDER, Stack.managedProviderPassword(), StackResource.destinationDb(job)),
                IndependentChecker.Allow.managed(mapped, Stack.PROVIDER, "rds_superuser", "polar_superuser", Stack.ADMIN,
                        "caravan_master", "polar_master", "postgres"));
    }

    /**
     * Drops the nasty roles on a destination cluster (connected as a superuser there), with every
     * database that still holds something of theirs: a run must find them missing and make them.
     */
    static void dropNastyRoles(java.sql.Connection superuser) throws java.sql.SQLException {
        String nasty = "(SELECT oid FROM pg_roles WHERE rolname LIKE 'nasty\\_%')";
        List<String> databases = Stack.strings(superuser, "SELECT datname FROM pg_database WHERE datdba IN " + nasty
                + " UNION SELECT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid WHERE s.refobjid IN " + nasty);
        try (var st = superuser.createStatement()) {
            for (String db : databases) {
                st.execute("DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
            }
            for (String role : Stack.strings(superuser, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'nasty\\_%'")) {
                st.execute("DROP ROLE \"" + role + "\"");
            }
        }
    }

    /** The job's source database made anew from the nasty fixture, its roles made if missing. */
    private static void nastySource(String job) throws Exception {
        String db = StackResource.sourceDb(job);
        psql("postgres", ROLES);
        Stack.execSource("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        Stack.execSource("postgres", "CREATE DATABASE " + db + " OWNER " + Stack.ADMIN);
        psql(db, NASTY);
    }

    /** The jobs whose destinations hold objects of the nasty roles. */
    static final List<String> NASTY_JOBS = List.of("it-nasty", "it-nasty-broken", "it-pieces", "it-pieces-late", "it-pieces-atomic", "it-pieces-occupied", "it-pieces-cancel");
    static final List<String> NASTY_ROLES = List.of("nasty_group", "nasty_owner", "nasty_lead", "nasty_clerk", "nasty_auditor");

    /** What the independent checker finds different between the job's source and destination databases. */
    static List<String> differences(String job) throws Exception {
        return IndependentChecker.differences(
                new IndependentChecker.Side(Stack.SOURCE_PORT, Stack.ADMIN, Stack.sourcePassword(), StackResource.sourceDb(job)),
                new IndependentChecker.Side(Stack.DESTINATION_PORT, Stack.ADMIN, Stack.destinationPassword(), StackResource.destinationDb(job)),
                // the destination's administrator is its own: a migration leaves existing roles as they are
                IndependentChecker.Allow.own(Stack.ADMIN, "postgres"));
    }

    private static void psql(String database, Path script) throws Exception {
        psql(Stack.SOURCE_PORT, database, script);
    }

    /** A script into a database of the source cluster on that port (as caravan_admin, with the source's password). */
    static void psql(int port, String database, Path script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("psql", "--quiet", "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--set=db=" + database,
                "--host=127.0.0.1", "--port=" + port, "--username=" + Stack.ADMIN, "--dbname=" + database,
                "--file=" + script).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", Stack.sourcePassword());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("psql " + script + " into " + database + " failed: " + out);
        }
    }
}

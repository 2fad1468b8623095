package io.pgcaravan.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The local stack the integration tests run against (started by scripts/local-stack.sh): a source
 * and a destination PostgreSQL cluster and an sshd as the intermediate host, all on 127.0.0.1.
 */
public final class Stack {

    public static final Path DIR = Path.of(System.getenv().getOrDefault("CARAVAN_STACK_DIR", "/var/lib/pg-caravan-stack"));
    public static final int SOURCE_PORT = 55432;
    public static final int DESTINATION_PORT = 55433;
    public static final int SSH_PORT = 2222;
    /**
     * The managed-like destination: its bootstrap superuser is the provider's ({@link #PROVIDER}),
     * its master users are no superusers (scripts/local-stack.sh).
     */
    public static final int MANAGED_PORT = 55434;
    public static final String PROVIDER = "rdsadmin";
    public static final String ADMIN = "caravan_admin";
    /** The drop directory of the test runs (inside the sshd user's drop directory, recreated per test run). */
    public static final Path DROP = DIR.resolve("drop").resolve("it");

    private Stack() {
    }

    public static String sourcePassword() {
        return read(DIR.resolve("secrets/source.password"));
    }

    public static String destinationPassword() {
        return read(DIR.resolve("secrets/destination.password"));
    }

    public static String managedPassword() {
        return read(DIR.resolve("secrets/managed.password"));
    }

    /** The provider's superuser on the managed-like destination: for the tests' own checks and clean-up, never for a run. */
    public static Connection managedProvider(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", PROVIDER);
        p.setProperty("password", read(DIR.resolve("secrets/managed-admin.password")));
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + MANAGED_PORT + "/" + database, p);
    }

    public static String managedProviderPassword() {
        return read(DIR.resolve("secrets/managed-admin.password"));
    }

    public static Connection source(String database) throws SQLException {
        return connect(SOURCE_PORT, sourcePassword(), database);
    }

    public static Connection destination(String database) throws SQLException {
        return connect(DESTINATION_PORT, destinationPassword(), database);
    }

    private static Connection connect(int port, String password, String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", ADMIN);
        p.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
    }

    /** Creates (or recreates) a source database and loads the given SQL scripts from the classpath or disk. */
    public static void createSource(String database, Path... scripts) throws Exception {
        try (Connection c = source("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + database + " OWNER " + ADMIN);
        }
        try (Connection c = source(database); Statement st = c.createStatement()) {
            for (Path script : scripts) {
                st.execute(Files.readString(script));
            }
        }
    }

    public static void execDestination(String database, String sql) throws SQLException {
        try (Connection c = destination(database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    public static java.util.List<String> strings(Connection c, String sql) throws SQLException {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    public static void execSource(String database, String sql) throws SQLException {
        try (Connection c = source(database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    public static void dropDestination(String database) throws SQLException {
        try (Connection c = destination("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    public static boolean destinationExists(String database) throws SQLException {
        try (Connection c = destination("postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
            return rs.next();
        }
    }

    public static long countOnly(Connection c, String qualified) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + qualified)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * A test job's databases as each test starts: the sample loaded into its source (plus a table of
     * {@code bigRows} rows, to make stages last long enough to be interrupted), no destination.
     */
    public static void freshJob(String job, int bigRows) throws Exception {
        createSource(StackResource.sourceDb(job), sampleSql());
        if (bigRows > 0) {
            addBigTable(StackResource.sourceDb(job), bigRows);
        }
        dropDestination(StackResource.destinationDb(job));
    }

    public static void freshJob(String job) throws Exception {
        freshJob(job, 0);
    }

    /** Adds a table of the given number of rows to a source database (big enough to watch a stage run). */
    public static void addBigTable(String database, int rows) throws SQLException {
        execSource(database, "CREATE TABLE shop.big AS SELECT g AS id, md5(g::text) AS v, now() AS at "
                + "FROM generate_series(1, " + rows + ") g; ALTER TABLE shop.big ADD PRIMARY KEY (id);");
    }

    /** Stops the intermediate host's sshd, with the sessions it has open (as a crash or a reboot would). */
    public static void stopSshd() throws Exception {
        Path pid = DIR.resolve("sshd/sshd.pid");
        run("kill", Files.readString(pid).trim());
        run("pkill", "-KILL", "-u", "caravan-drop");
    }

    public static void stopDestination() throws Exception {
        stopDestination("fast");
    }

    /** Stops the destination cluster in a pg_ctl shutdown mode: smart, fast or immediate (as a crash would). */
    public static void stopDestination(String mode) throws Exception {
        run("pg_ctlcluster", clusterVersion("caravan_dst"), "caravan_dst", "stop", "-m", mode);
    }

    /** Starts whatever part of the local stack is down (the stack script is idempotent). */
    public static void startStack() throws Exception {
        run("scripts/local-stack.sh");
    }

    private static String clusterVersion(String cluster) throws Exception {
        for (String line : run("pg_lsclusters", "-h").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 1 && f[1].equals(cluster)) {
                return f[0];
            }
        }
        throw new IllegalStateException("no cluster " + cluster);
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int exit = p.waitFor();
        if (exit != 0 && !command[0].equals("pkill")) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + exit + ": " + out);
        }
        return out;
    }

    /**
     * The checked copy of a run's delivery the import half keeps in its work directory
     * (caravan.import.private-copy): the dump and roles.sql move there from the drop directory.
     */
    public static Path checked(String runId) {
        return StackResource.TEST_DATA.resolve("work").resolve(runId).resolve("delivery");
    }

    public static Path sampleSql() {
        return Path.of("scripts/sample-db.sql");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            throw new IllegalStateException("the local stack is not set up (" + p + " missing): run scripts/local-stack.sh as root", e);
        }
    }
}

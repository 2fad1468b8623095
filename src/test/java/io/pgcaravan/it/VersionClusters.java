package io.pgcaravan.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.zip.ZipFile;

/**
 * PostgreSQL servers of the majors Debian 12 does not ship, for the version matrix: the server
 * binaries of io.zonky.test.postgres (Maven copies them to target/postgres-binaries), each
 * cluster made once under the stack's directory ({@code versions/<major>}) and started on
 * loopback. A source cluster is set up as a self-hosted one (bootstrap superuser postgres, and
 * caravan_admin, a superuser too); a destination cluster as a managed service's, with a plain
 * login besides: bootstrap superuser rdsadmin, caravan_admin a superuser (the plain
 * destination), caravan_master a master user (NOSUPERUSER CREATEDB CREATEROLE, in
 * rds_superuser WITH ADMIN OPTION: the managed one). Passwords are the local stack's.
 */
final class VersionClusters {

    static final Path BINARIES = Path.of("target/postgres-binaries").toAbsolutePath();

    private VersionClusters() {
    }

    /** The port of a source cluster of this major (12 to 14; 15 is the local stack's). */
    static int sourcePort(int major) {
        return major == 15 ? Stack.SOURCE_PORT : 55400 + major;
    }

    /** The port of a destination cluster of this major (16, 17; 15 is the local stack's). */
    static int destinationPort(int major, boolean managed) {
        if (major == 15) {
            return managed ? Stack.MANAGED_PORT : Stack.DESTINATION_PORT;
        }
        return 55500 + major;
    }

    static synchronized void ensureSource(int major) throws Exception {
        if (major != 15) {
            ensure(major, "source", sourcePort(major), "postgres");
        }
    }

    static synchronized void ensureDestination(int major) throws Exception {
        if (major != 15) {
            ensure(major, "destination", destinationPort(major, false), Stack.PROVIDER);
        }
    }

    private static void ensure(int major, String kind, int port, String bootstrap) throws Exception {
        Path root = Stack.DIR.resolve("versions").resolve(kind + "-" + major);
        Path bin = root.resolve("bin");
        Path data = root.resolve("data");
        if (!Files.isExecutable(bin.resolve("postgres"))) {
            unpack(major, root);
        }
        String bootstrapPassword = Stack.managedProviderPassword();
        if (!Files.exists(data.resolve("PG_VERSION"))) {
            Path pw = root.resolve("bootstrap.pw");
            Files.writeString(pw, bootstrapPassword + "\n");
            Stack.run("chown", "postgres:postgres", pw.toString());
            Stack.run("chmod", "600", pw.toString());
            Stack.run("runuser", "-u", "postgres", "--", bin.resolve("initdb").toString(), "-D", data.toString(), "-U", bootstrap,
                    "--pwfile=" + pw, "--auth=md5", "-E", "UTF8", "--locale=C.UTF-8");
            Files.delete(pw);
        }
        if (!listening(port)) {
            Files.createDirectories(root.resolve("socket"));
            Stack.run("chown", "postgres:postgres", root.resolve("socket").toString());
            Stack.run("runuser", "-u", "postgres", "--", bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w",
                    "-l", root.resolve("server.log").toString(), "-o", "-p " + port + " -c listen_addresses=127.0.0.1 "
                            + "-c unix_socket_directories=" + root.resolve("socket") + " -c fsync=off", "start");
        }
        try (Connection c = connect(port, bootstrap, bootstrapPassword); Statement st = c.createStatement()) {
            if (kind.equals("source")) {
                role(st, Stack.ADMIN, "LOGIN SUPERUSER", Stack.sourcePassword());
            } else {
                role(st, Stack.ADMIN, "LOGIN SUPERUSER", Stack.destinationPassword());
                role(st, "rds_superuser", "NOLOGIN", null);
                role(st, "caravan_master", "LOGIN NOSUPERUSER CREATEDB CREATEROLE", Stack.managedPassword());
                st.execute("GRANT rds_superuser TO caravan_master WITH ADMIN OPTION");
            }
        }
    }

    private static void role(Statement st, String name, String attributes, String password) throws SQLException {
        st.execute("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + name + "') THEN CREATE ROLE " + name
                + "; END IF; END$$");
        st.execute("ALTER ROLE " + name + " " + attributes + (password == null ? "" : " PASSWORD '" + password + "'"));
    }

    /** The binaries of the major, out of the jar Maven copied (a .txz inside), readable by the server's OS user. */
    private static void unpack(int major, Path root) throws Exception {
        Path jar = BINARIES.resolve("postgres-" + major + ".jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: Maven's generate-test-resources phase copies it (mvn test-compile)");
        }
        Files.createDirectories(root);
        Path txz = root.resolve("postgres.txz");
        try (ZipFile zip = new ZipFile(jar.toFile());
             InputStream in = zip.getInputStream(zip.getEntry("postgres-linux-x86_64.txz"))) {
            Files.copy(in, txz, StandardCopyOption.REPLACE_EXISTING);
        }
        Stack.run("tar", "-xJf", txz.toString(), "-C", root.toString());
        Files.delete(txz);
        Stack.run("chown", "-R", "postgres:postgres", root.toString());
        Stack.run("chmod", "755", root.toString(), root.getParent().toString());
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return s.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    static Connection connect(int port, String user, String password) throws SQLException {
        return connect(port, user, password, "postgres");
    }

    static Connection connect(int port, String user, String password, String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
    }
}

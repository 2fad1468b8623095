package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks the local stack is up before the application starts, gives the test runs a fresh drop
 * directory of their own, and configures the jobs the tests use. Each job has its own source and
 * destination database, named after it.
 */
public class StackResource implements QuarkusTestResourceLifecycleManager {

    public static final Path TEST_DATA = Path.of("target/test-data").toAbsolutePath();
    /** A known_hosts file that trusts some other key for the intermediate host. */
    public static final Path WRONG_KNOWN_HOSTS = TEST_DATA.resolve("wrong_known_hosts");
    /** A known_hosts file that does not know the intermediate host at all. */
    public static final Path EMPTY_KNOWN_HOSTS = TEST_DATA.resolve("empty_known_hosts");

    @Override
    public Map<String, String> start() {
        for (int port : new int[]{Stack.SOURCE_PORT, Stack.DESTINATION_PORT, Stack.SSH_PORT}) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getPort();
            } catch (IOException e) {
                throw new IllegalStateException("nothing listens on 127.0.0.1:" + port
                        + ": start the local stack with scripts/local-stack.sh (as root)", e);
            }
        }
        try {
            deleteTree(Stack.DROP);
            Files.createDirectories(Stack.DROP);
            Files.setOwner(Stack.DROP, Stack.DROP.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("caravan-drop"));
            // run history, staging and logs of earlier test runs would be resumed: start clean
            deleteTree(TEST_DATA);
            Files.createDirectories(TEST_DATA);
            writeWrongKnownHosts();
            Files.writeString(EMPTY_KNOWN_HOSTS, "");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }

        Map<String, String> props = new HashMap<>();
        // set here rather than as %test properties: config/application.properties outranks those
        props.put("caravan.data-dir", TEST_DATA.toString());
        props.put("quarkus.log.file.enabled", "true");
        props.put("quarkus.log.file.path", TEST_DATA.resolve("caravan.log").toString());
        props.put("caravan.import.poll-delay-ms", "200");
        props.put("caravan.import.drop-dir", Stack.DROP.toString());
        // retry windows of seconds, so that tests of failures end in reasonable time
        props.put("caravan.retry.enforce-ranges", "false");
        props.put("caravan.retry.initial-delay-ms", "200");
        props.put("caravan.retry.max-delay-ms", "1000");
        job(props, "it-single", "custom", 1, "single-transaction");
        job(props, "it-parallel", "directory", 2, "parallel");
        job(props, "it-api", "custom", 1, "single-transaction");
        // the defaults: directory format, jobs and compression chosen per machine and link, restore mode auto
        job(props, "it-defaults", "directory", 1, "auto");
        List.of("dump.format", "dump.jobs", "restore.mode", "restore.jobs").forEach(k -> props.remove("caravan.jobs.it-defaults." + k));
        props.put("caravan.jobs.it-defaults.restore.settings.work_mem", "32MB"); // a session setting of the job's own
        job(props, "it-corrupt", "custom", 1, "single-transaction");
        job(props, "it-badpw", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-badpw.source.password-file", "");
        props.put("caravan.jobs.it-badpw.source.password", "not-the-password");
        job(props, "it-hostkey", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-hostkey.intermediate.known-hosts", WRONG_KNOWN_HOSTS.toString());
        job(props, "it-nohostkey", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-nohostkey.intermediate.known-hosts", EMPTY_KNOWN_HOSTS.toString());
        // fault injection
        job(props, "it-flaky-sftp", "directory", 2, "single-transaction");
        props.put("caravan.jobs.it-flaky-sftp.intermediate.max-bytes-per-second", "1000000");
        props.put("caravan.jobs.it-flaky-sftp.retry.connection", "60s");
        job(props, "it-flaky-dst", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-flaky-dst.retry.connection", "60s");
        // a destination that requires SSL, as every managed cloud PostgreSQL does
        job(props, "it-flaky-ssl", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-flaky-ssl.destination.sslmode", "require");
        props.put("caravan.jobs.it-flaky-ssl.retry.connection", "60s");
        job(props, "it-nosource", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-nosource.source.port", "1");
        props.put("caravan.jobs.it-nosource.retry.connection", "3s");
        props.put("caravan.jobs.it-nosource.retry.other", "1s");
        job(props, "it-conflict", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-conflict.retry.other", "2s");
        job(props, "it-cancel", "custom", 1, "parallel");
        job(props, "it-flaky-par", "custom", 1, "parallel");
        props.put("caravan.jobs.it-flaky-par.retry.connection", "60s");
        job(props, "it-flaky-par-kept", "custom", 1, "parallel");
        props.put("caravan.jobs.it-flaky-par-kept.retry.connection", "60s");
        // destination preparation, roles, selection, precheck items
        job(props, "it-prep", "custom", 1, "single-transaction");
        job(props, "it-rds", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-rds.flavour", "rds");
        job(props, "it-polar", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-polar.flavour", "polardb");
        job(props, "it-select", "directory", 2, "parallel");
        props.put("caravan.jobs.it-select.select.include-schemas", "shop,Other*");
        props.put("caravan.jobs.it-select.select.exclude-tables", "shop.audit*");
        job(props, "it-ignore", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-ignore.conflicts", "ignore");
        job(props, "it-reader", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-reader.source.user", "it_reader");
        props.put("caravan.jobs.it-reader.source.password-file", "");
        props.put("caravan.jobs.it-reader.source.password", "reader-pw");
        job(props, "it-freeze", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-freeze.freeze-source-writes", "true");
        // operating surface
        job(props, "it-ops", "directory", 2, "parallel");
        job(props, "it-sched", "custom", 1, "single-transaction");
        job(props, "it-page", "custom", 1, "single-transaction");
        // verification
        job(props, "it-verify", "directory", 2, "parallel");
        job(props, "it-checksum", "custom", 1, "single-transaction");
        props.put("caravan.jobs.it-checksum.verify.mode", "checksum");
        job(props, "it-concurrent", "directory", 2, "single-transaction");
        return props;
    }

    /** The source database of a test job, and its destination database. */
    public static String sourceDb(String job) {
        return job.replace('-', '_') + "_src";
    }

    public static String destinationDb(String job) {
        return job.replace('-', '_') + "_dst";
    }

    private static void job(Map<String, String> p, String job, String format, int jobs, String restoreMode) {
        String k = "caravan.jobs." + job + ".";
        p.put(k + "source.host", "127.0.0.1");
        p.put(k + "source.port", Integer.toString(Stack.SOURCE_PORT));
        p.put(k + "source.database", sourceDb(job));
        p.put(k + "source.user", Stack.ADMIN);
        p.put(k + "source.password-file", Stack.DIR.resolve("secrets/source.password").toString());
        p.put(k + "destination.host", "127.0.0.1");
        p.put(k + "destination.port", Integer.toString(Stack.DESTINATION_PORT));
        p.put(k + "destination.database", destinationDb(job));
        p.put(k + "destination.user", Stack.ADMIN);
        p.put(k + "destination.password-file", Stack.DIR.resolve("secrets/destination.password").toString());
        p.put(k + "intermediate.host", "127.0.0.1");
        p.put(k + "intermediate.port", Integer.toString(Stack.SSH_PORT));
        p.put(k + "intermediate.user", "caravan-drop");
        p.put(k + "intermediate.private-key", Stack.DIR.resolve("client/id_ed25519").toString());
        p.put(k + "intermediate.known-hosts", Stack.DIR.resolve("client/known_hosts").toString());
        p.put(k + "intermediate.drop-dir", Stack.DROP.toString());
        p.put(k + "dump.format", format);
        p.put(k + "dump.jobs", Integer.toString(jobs));
        p.put(k + "restore.mode", restoreMode);
        p.put(k + "restore.jobs", "2");
        p.put(k + "retry.connection", "20s");
        p.put(k + "retry.other", "4s");
    }

    /** A well-formed known_hosts entry for the intermediate host, but with a key that is not its key. */
    private static void writeWrongKnownHosts() throws IOException, InterruptedException {
        Path key = TEST_DATA.resolve("other_host_key");
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                .redirectErrorStream(true).start();
        if (p.waitFor() != 0) {
            throw new IOException("ssh-keygen failed: " + new String(p.getInputStream().readAllBytes()));
        }
        String pub = Files.readString(Path.of(key + ".pub")).trim().split(" ")[0] + " "
                + Files.readString(Path.of(key + ".pub")).trim().split(" ")[1];
        Files.writeString(WRONG_KNOWN_HOSTS, "[127.0.0.1]:" + Stack.SSH_PORT + " " + pub + "\n");
    }

    static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Override
    public void stop() {
    }
}

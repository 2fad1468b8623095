package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks the local stack is up before the application starts, gives the test runs a fresh drop
 * directory of their own, and configures the jobs the tests declare next to them ({@link TestJob}).
 * Each job has its own source and destination database, named after it.
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
        // the jobs API's tests name the local stack's secrets
        props.put("caravan.api.job-secrets.dirs", Stack.DIR.resolve("secrets") + "," + Stack.DIR.resolve("client"));
        props.put("caravan.retry.initial-delay-ms", "200");
        props.put("caravan.retry.max-delay-ms", "1000");
        props.putAll(TestJob.merge(declaredJobs()));
        return props;
    }

    /** The source database of a test job, and its destination database. */
    public static String sourceDb(String job) {
        return job.replace('-', '_') + "_src";
    }

    public static String destinationDb(String job) {
        return job.replace('-', '_') + "_dst";
    }

    /**
     * The jobs every test class of this package declares next to it ({@code static final
     * List<TestJob> JOBS}): all of them, since one application serves all the tests.
     */
    @SuppressWarnings("unchecked")
    private static List<TestJob> declaredJobs() {
        Path classes = Path.of("target/test-classes", StackResource.class.getPackageName().split("\\."));
        List<TestJob> jobs = new ArrayList<>();
        try (Stream<Path> files = Files.list(classes)) {
            for (Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (!file.endsWith(".class") || file.contains("$")) {
                    continue;
                }
                String name = StackResource.class.getPackageName() + "." + file.substring(0, file.length() - ".class".length());
                Class<?> test = Class.forName(name, false, StackResource.class.getClassLoader());
                for (Field field : test.getDeclaredFields()) {
                    if (field.getName().equals("JOBS") && Modifier.isStatic(field.getModifiers())) {
                        field.setAccessible(true);
                        jobs.addAll((List<TestJob>) field.get(null));
                    }
                }
            }
        } catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("cannot gather the tests' jobs from " + classes, e);
        }
        return jobs;
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

    /**
     * A fresh drop directory of a test's own, as the local stack's SFTP account owns its drop
     * directory: whatever an earlier run left in it is gone.
     */
    static void freshDropDir(Path drop) throws IOException {
        deleteTree(drop);
        Files.createDirectories(drop);
        Files.setOwner(drop, drop.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("caravan-drop"));
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

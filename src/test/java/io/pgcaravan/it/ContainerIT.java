package io.pgcaravan.it;

import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container image, built from the Dockerfile with Podman and run against the local stack, all
 * in one (export and import half), configured only through environment variables: it migrates the
 * sample, reports healthy and does not run as root.
 * <p>
 * Needs the packaged application (target/quarkus-app, so run after {@code mvn package}) and root:
 * it runs scripts/container-setup.sh, which installs Podman and makes the base image if missing.
 * Podman's output goes to target/container-it/*.log.
 */
class ContainerIT {

    static final Path OUT = Path.of("target/container-it").toAbsolutePath();
    static final Path SECRETS = OUT.resolve("secrets");
    static final Path DATA = OUT.resolve("data");
    /** The drop directory on the intermediate host, mounted into the container at the same path. */
    static final Path DROP = Stack.DIR.resolve("drop/container-it");
    static final String IMAGE = "pg-caravan:it";
    static final String CONTAINER = "pg-caravan-it";
    static final String JOB = "it-container";
    static final int PORT = 8091;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String apiPassword = UUID.randomUUID().toString();

    @Test
    void theImageMigratesTheSampleConfiguredOnlyThroughTheEnvironment() throws Exception {
        StackResource.deleteTree(OUT);
        Files.createDirectories(OUT);
        assertThat(Path.of("target/quarkus-app/quarkus-run.jar")).as("packaged application (mvn package first)").exists();

        Result setup = exec("setup", Duration.ofMinutes(10), "scripts/container-setup.sh");
        assertThat(setup.exit).as("scripts/container-setup.sh\n%s", setup.tail()).isZero();
        Result build = exec("build", Duration.ofMinutes(15), "podman", "build", "--format", "docker", "-t", IMAGE, ".");
        assertThat(build.exit).as("podman build\n%s", build.tail()).isZero();

        // the container runs as the SFTP user, since its import half writes into the run directories
        // that user creates; whatever it reads or writes must be that user's
        int uid = Integer.parseInt(Stack.run("id", "-u", "caravan-drop").trim());
        int gid = Integer.parseInt(Stack.run("id", "-g", "caravan-drop").trim());
        Stack.freshJob(JOB);
        StackResource.deleteTree(DROP);
        ownedDirectory(DROP, uid, gid, "rwxr-xr-x");
        ownedDirectory(DATA, uid, gid, "rwx------");
        try {
            ownedDirectory(SECRETS, uid, gid, "r-x------");
            for (Path secret : List.of(Stack.DIR.resolve("secrets/source.password"), Stack.DIR.resolve("secrets/destination.password"),
                    Stack.DIR.resolve("client/id_ed25519"), Stack.DIR.resolve("client/known_hosts"))) {
                Path copy = Files.copy(secret, SECRETS.resolve(secret.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("r--------"));
                chown(copy, uid, gid);
            }
            exec("rm-leftover", Duration.ofMinutes(1), "podman", "rm", "-f", "--ignore", CONTAINER);
            Result run = exec("run", Duration.ofMinutes(2), runCommand(uid, gid));
            assertThat(run.exit).as("podman run\n%s", run.tail()).isZero();

            awaitReady();
            JsonPath jobs = get("/api/jobs");
            assertThat(jobs.getList("name", String.class)).as("jobs configured by environment: %s", jobs.prettify()).containsExactly(JOB);

            String id = startRun();
            JsonPath result = awaitEnded(id);
            assertThat(result.getString("status")).as(() -> "run " + id + "\n" + result.prettify() + "\n" + logs()).isEqualTo("SUCCEEDED");
            assertThat(result.getList("verification.tables.match", Boolean.class)).as(result.prettify())
                    .isNotEmpty().containsOnly(true);
            assertThat(DROP.resolve(id).resolve("result.json")).as("the import half wrote into the run directory").exists();

            Result health = exec("healthcheck", Duration.ofMinutes(1), "podman", "healthcheck", "run", CONTAINER);
            assertThat(health.exit).as("podman healthcheck run\n%s", health.tail()).isZero();
            Result user = exec("exec-id", Duration.ofMinutes(1), "podman", "exec", CONTAINER, "id", "-u");
            assertThat(user.exit).as(user.tail()).isZero();
            assertThat(user.lastLine()).as("uid in the container").isNotEqualTo("0").isEqualTo(Integer.toString(uid));
            Result java = exec("exec-pid1", Duration.ofMinutes(1), "podman", "exec", CONTAINER, "stat", "-c", "%u %N", "/proc/1/exe");
            assertThat(java.lastLine()).as("uid of the container's process 1 (java)\n%s", java.tail()).startsWith(uid + " ").contains("java");
        } finally {
            quietly("container", "podman", "logs", CONTAINER);
            quietly("stop", "podman", "stop", "--ignore", "-t", "10", CONTAINER);
            quietly("rm", "podman", "rm", "-f", "--ignore", CONTAINER);
            StackResource.deleteTree(SECRETS);
        }
    }

    /** A clean-up step: whatever happens to it, the next one runs, and the test's own failure is kept. */
    private void quietly(String name, String... command) {
        try {
            exec(name, Duration.ofMinutes(1), command);
        } catch (Exception | AssertionError e) {
            System.err.println("ContainerIT clean-up: " + String.join(" ", command) + ": " + e);
        }
    }

    /**
     * {@code podman run}: host network (the stack listens on 127.0.0.1 only), the SFTP user's uid:gid,
     * the data volume, the secrets read-only and the drop directory at the path it has on the host.
     */
    private String[] runCommand(int uid, int gid) {
        List<String> cmd = new ArrayList<>(List.of("podman", "run", "-d", "--name", CONTAINER, "--network", "host",
                "--user", uid + ":" + gid,
                "-v", DATA + ":/var/lib/pg-caravan",
                "-v", SECRETS + ":/run/secrets:ro",
                "-v", DROP + ":" + DROP));
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(PORT));
        env.put("CARAVAN_IMPORT_DROP_DIR", DROP.toString());
        env.put("CARAVAN_IMPORT_POLL_DELAY_MS", "200");
        env.put("CARAVAN_API_USERS_CTR_ROLES", "operator,viewer");
        env.put("CARAVAN_RETRY_ENFORCE_RANGES", "false");
        env.put("CARAVAN_RETRY_INITIAL_DELAY_MS", "500");
        env.put("CARAVAN_RETRY_MAX_DELAY_MS", "2000");
        // An upper-case variable cannot carry a '-' of the job's name (CARAVAN_JOBS_IT_CONTAINER_* could be
        // it.container, it-container, ...): one variable under the property's own name in each of the job's
        // sections names the job and the section, and then the upper-case variables of its other keys are
        // matched to them.
        env.put("caravan.jobs." + JOB + ".source.host", "127.0.0.1");
        env.put("caravan.jobs." + JOB + ".destination.host", "127.0.0.1");
        env.put("caravan.jobs." + JOB + ".intermediate.host", "127.0.0.1");
        String k = "CARAVAN_JOBS_" + JOB.toUpperCase().replace('-', '_') + "_";
        env.put(k + "SOURCE_PORT", Integer.toString(Stack.SOURCE_PORT));
        env.put(k + "SOURCE_DATABASE", StackResource.sourceDb(JOB));
        env.put(k + "SOURCE_USER", Stack.ADMIN);
        env.put(k + "SOURCE_PASSWORD_FILE", "/run/secrets/source.password");
        env.put(k + "DESTINATION_PORT", Integer.toString(Stack.DESTINATION_PORT));
        env.put(k + "DESTINATION_DATABASE", StackResource.destinationDb(JOB));
        env.put(k + "DESTINATION_USER", Stack.ADMIN);
        env.put(k + "DESTINATION_PASSWORD_FILE", "/run/secrets/destination.password");
        env.put(k + "INTERMEDIATE_PORT", Integer.toString(Stack.SSH_PORT));
        env.put(k + "INTERMEDIATE_USER", "caravan-drop");
        env.put(k + "INTERMEDIATE_PRIVATE_KEY", "/run/secrets/id_ed25519");
        env.put(k + "INTERMEDIATE_KNOWN_HOSTS", "/run/secrets/known_hosts");
        env.put(k + "INTERMEDIATE_DROP_DIR", DROP.toString());
        env.put(k + "DUMP_FORMAT", "directory");
        env.put(k + "DUMP_JOBS", "2");
        env.put(k + "RETRY_CONNECTION", "60s");
        env.put(k + "RETRY_OTHER", "10s");
        env.forEach((name, value) -> cmd.addAll(List.of("-e", name + "=" + value)));
        // a bare -e takes the value from podman's own environment: the password is not in podman's arguments
        cmd.addAll(List.of("-e", "CARAVAN_API_USERS_CTR_PASSWORD", IMAGE));
        return cmd.toArray(String[]::new);
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        int polls = 0;
        while (System.nanoTime() < deadline) {
            try {
                if (send(HttpRequest.newBuilder(uri("/q/health/ready"))).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (++polls % 10 == 0) {
                Result state = exec("inspect", Duration.ofMinutes(1), "podman", "inspect", "--format", "{{.State.Status}}", CONTAINER);
                if (!state.lastLine().equals("running")) {
                    exec("wait", Duration.ofMinutes(1), "podman", "wait", CONTAINER); // so that its log is complete
                    throw new AssertionError("the container is " + state.lastLine() + ", not running\n" + logs());
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the container was not ready within 2 min\n" + logs());
    }

    private String startRun() throws Exception {
        HttpResponse<String> r = send(authorized(HttpRequest.newBuilder(uri("/api/jobs/" + JOB + "/runs")))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(r.statusCode()).as("POST /api/jobs/%s/runs: %s", JOB, r.body()).isEqualTo(202);
        return new JsonPath(r.body()).getString("id");
    }

    private JsonPath awaitEnded(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        JsonPath run = null;
        while (System.nanoTime() < deadline) {
            run = get("/api/runs/" + id);
            if (Api.ENDED.contains(run.getString("status"))) {
                return run;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("run " + id + " did not end within 5 min\n" + (run == null ? "" : run.prettify()) + "\n" + logs());
    }

    private JsonPath get(String path) throws Exception {
        HttpResponse<String> r = send(authorized(HttpRequest.newBuilder(uri(path))).GET());
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return new JsonPath(r.body());
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder b) {
        return b.header("Authorization", "Basic "
                + Base64.getEncoder().encodeToString(("ctr:" + apiPassword).getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + PORT + path);
    }

    /** The container's output so far (also kept in target/container-it/logs-now.log), for assertion messages. */
    private String logs() {
        try {
            return "container log:\n" + exec("logs-now", Duration.ofMinutes(1), "podman", "logs", CONTAINER).tail();
        } catch (Exception e) {
            return "(no container log: " + e + ")";
        }
    }

    private static void ownedDirectory(Path dir, int uid, int gid, String permissions) throws Exception {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
        chown(dir, uid, gid);
    }

    private static void chown(Path p, int uid, int gid) throws Exception {
        Files.setAttribute(p, "unix:uid", uid);
        Files.setAttribute(p, "unix:gid", gid);
    }

    record Result(int exit, Path log) {
        String tail() {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                return log + " (last lines):\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
            } catch (IOException e) {
                return log + ": " + e;
            }
        }

        String lastLine() throws IOException {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
        }
    }

    /**
     * Runs a command from the project root with its output in target/container-it/{name}.log; one that
     * is still running after the timeout is killed with its child processes and fails the test.
     */
    private Result exec(String name, Duration timeout, String... command) throws Exception {
        Path log = OUT.resolve(name + ".log");
        Files.deleteIfExists(log);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        if (command.length > 1 && command[1].equals("run")) {
            pb.environment().put("CARAVAN_API_USERS_CTR_PASSWORD", apiPassword);
        }
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout + "\n" + new Result(-1, log).tail());
        }
        return new Result(p.exitValue(), log);
    }
}

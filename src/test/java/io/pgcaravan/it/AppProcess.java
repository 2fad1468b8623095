package io.pgcaravan.it;

import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

/** The packaged application as its own process, with a properties file of its own: for tests of restarts and of two agents. */
final class AppProcess {

    private final String name;
    private final Path home;
    private final int port;
    private final String user;
    private final String password;
    private Process process;
    private int starts;
    private String osUser;
    private boolean ownGroup;

    AppProcess(String name, Path home, int port, String user, String password) {
        this.name = name;
        this.home = home;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    Path properties() {
        return home.resolve(name + ".properties");
    }

    /**
     * Runs the app as this operating-system user (the local stack's unprivileged "caravan"), as a
     * deployment does: setpriv replaces itself with java, so killing the process kills the app.
     */
    AppProcess as(String user) {
        this.osUser = user;
        return this;
    }

    /**
     * Runs the app in a process group of its own, so that {@link #killGroup} takes its tools
     * (pg_dump, pg_restore) with it, as a pod's death does.
     */
    AppProcess ownGroup() {
        this.ownGroup = true;
        return this;
    }

    /** SIGKILL to the app and every tool it runs: a pod dying, or its node. */
    void killGroup() throws Exception {
        if (process != null && process.isAlive()) {
            Stack.run("kill", "-KILL", "--", "-" + process.pid());
            process.waitFor();
        }
    }

    /** SIGTERM, as Kubernetes stops a pod; waits for the process to exit. */
    void terminate() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError(name + " did not exit within 90 s of SIGTERM");
            }
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    String name() {
        return name;
    }

    /** Starts the process and waits until it is ready. */
    AppProcess start(String... systemProperties) throws Exception {
        starts++;
        List<String> cmd = new ArrayList<>();
        if (ownGroup) {
            // (not a group leader itself, so setsid execs java instead of forking: the pid is the app's)
            cmd.add("setsid");
        }
        if (osUser != null) {
            cmd.addAll(List.of("setpriv", "--reuid=" + osUser, "--regid=" + osUser, "--init-groups", "--"));
        }
        cmd.addAll(List.of("java", "@config/jvm.options", "-Dquarkus.config.locations=" + properties()));
        cmd.addAll(List.of(systemProperties));
        cmd.addAll(List.of("-jar", Path.of("target/quarkus-app/quarkus-run.jar").toString()));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(starts).toFile()).start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited: " + Files.readString(log(starts)));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/q/health/ready").toURL().openConnection();
                return c.getResponseCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
        return this;
    }

    /** The operating-system user the running app is. */
    String runningAs() throws Exception {
        return Stack.run("ps", "-o", "user=", "-p", Long.toString(process.pid())).trim();
    }

    /** SIGKILL: no shutdown hook, no chance to tidy up. */
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    Path log(int start) {
        return home.resolve(name + "-" + start + ".log");
    }

    String lastLog() throws IOException {
        return Files.readString(log(starts));
    }

    RequestSpecification api() {
        return given().port(port).auth().preemptive().basic(user, password);
    }

    JsonPath run(String id) {
        return api().get("/api/runs/" + id).then().statusCode(200).extract().jsonPath();
    }
}

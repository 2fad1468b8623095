package io.pgcaravan.it;

import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A fleet: three packaged-app processes sharing one run history in PostgreSQL and one data
 * directory, on the local stack. Thirty runs over ten jobs each happen once; a replica killed
 * (with its tools, as a pod dies) in the middle of a dump and another in the middle of a restore
 * lose those runs to the others, which finish them at their first unfinished stage; a cron
 * schedule of one second on all three replicas fires once per tick; the independent checker
 * judges every destination.
 */
class FleetIT {

    static final Path HOME = Path.of("target/fleet-it").toAbsolutePath();
    static final Path DROP = Stack.DIR.resolve("drop/fleet-it");
    static final String CONTROL = "caravan_fleet_control";
    static final List<String> FLEET_JOBS = IntStream.range(0, 10).mapToObj(i -> "fl-" + i).toList();
    static final int RUNS_PER_JOB = 3;
    static final String KILLED_IN_DUMP = "fl-kd";
    static final String KILLED_IN_RESTORE = "fl-kr";
    static final String CRON = "fl-cron";
    static final String API_JOB = "fl-api";
    static final String SEVERAL = "fl-several";
    static final List<String> SEVERAL_DATABASES = IntStream.rangeClosed(1, 4).mapToObj(i -> "fl_several_" + i).toList();
    static final String PASSWORD = "fleet-pw";

    static final List<AppProcess> REPLICAS = new ArrayList<>();

    @BeforeAll
    static void configure() throws Exception {
        StackResource.deleteTree(HOME);
        Files.createDirectories(HOME);
        StackResource.freshDropDir(DROP);
        try (Connection c = Stack.destination("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + CONTROL + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + CONTROL);
        }
        StringBuilder p = new StringBuilder();
        p.append("caravan.data-dir=").append(HOME.resolve("data")).append('\n')
                .append("caravan.import.drop-dir=").append(DROP).append('\n')
                .append("caravan.import.poll-delay-ms=200\n")
                .append("caravan.api.users.it.password=").append(PASSWORD).append("\ncaravan.api.users.it.roles=operator,viewer\n")
                .append("caravan.retry.enforce-ranges=false\ncaravan.retry.initial-delay-ms=200\ncaravan.retry.max-delay-ms=1000\n")
                .append("quarkus.datasource.active=false\nquarkus.datasource.pgstore.active=true\n")
                .append("quarkus.datasource.pgstore.jdbc.url=jdbc:postgresql://127.0.0.1:").append(Stack.DESTINATION_PORT).append('/').append(CONTROL).append('\n')
                .append("quarkus.datasource.pgstore.username=").append(Stack.ADMIN).append('\n')
                .append("quarkus.datasource.pgstore.password=").append(Stack.destinationPassword()).append('\n')
                .append("caravan.fleet.enabled=true\ncaravan.fleet.lease=6s\ncaravan.fleet.renew-every-ms=1000\ncaravan.fleet.poll-ms=300\n")
                .append("caravan.runs.concurrency=2\n")
                .append("caravan.api.job-secrets.dirs=").append(Stack.DIR.resolve("secrets")).append(',').append(Stack.DIR.resolve("client")).append('\n');
        for (String job : FLEET_JOBS) {
            RestartIT.job(p, job, "directory", 0, DROP);
            p.append("caravan.jobs.").append(job).append(".conflicts=replace\n");
        }
        RestartIT.job(p, KILLED_IN_DUMP, "custom", 0, DROP);
        p.append("caravan.jobs.").append(KILLED_IN_DUMP).append(".conflicts=replace\n");
        RestartIT.job(p, KILLED_IN_RESTORE, "directory", 0, DROP);
        p.append("caravan.jobs.").append(KILLED_IN_RESTORE).append(".restore.pipelined=false\n");
        RestartIT.job(p, CRON, "directory", 0, DROP);
        p.append("caravan.jobs.").append(CRON).append(".conflicts=replace\n")
                .append("caravan.jobs.").append(CRON).append(".schedule.cron=* * * * * ?\n");
        // a job of several databases: one dumping at a time, two restoring, whichever replicas have them
        RestartIT.job(p, SEVERAL, "directory", 0, DROP);
        String k = "caravan.jobs." + SEVERAL + ".";
        p.append(k).append("source.database={database}\n").append(k).append("source.databases=fl_several_?\n")
                .append(k).append("destination.database={database}_dst\n")
                .append(k).append("source.max-concurrent-runs=1\n").append(k).append("destination.max-concurrent-runs=2\n");
        for (int i = 1; i <= 3; i++) {
            AppProcess replica = new AppProcess("r" + i, HOME, 8110 + i, "it", PASSWORD).ownGroup();
            Files.writeString(replica.properties(), p + "quarkus.http.port=" + (8110 + i) + "\ncaravan.fleet.replica=r" + i + "\n");
            REPLICAS.add(replica);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (AppProcess replica : REPLICAS) {
            replica.killGroup();
        }
    }

    @Test
    void thirtyRunsOverTenJobsHappenOnceEachWhileReplicasDieMidDumpAndMidRestore() throws Exception {
        for (String job : FLEET_JOBS) {
            Stack.freshJob(job);
        }
        Stack.freshJob(CRON);
        Stack.freshJob(API_JOB);
        Stack.freshJob(KILLED_IN_DUMP, 2_500_000);
        Stack.freshJob(KILLED_IN_RESTORE, 1_500_000);

        CompletableFuture.allOf(REPLICAS.stream().map(r -> CompletableFuture.runAsync(() -> {
            try {
                r.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        })).toArray(CompletableFuture[]::new)).join();
        Instant cronFrom = Instant.now();

        String inDump = startRun(REPLICAS.get(0), KILLED_IN_DUMP);
        // one replica dies in the middle of a dump, with its pg_dump
        JsonPath dumping = Api.awaitStageRunning(() -> live().run(inDump), "dump");
        AppProcess first = replica(dumping.getString("replica"));
        first.killGroup();

        String inRestore = startRun(live(), KILLED_IN_RESTORE);
        Map<String, List<String>> runs = new LinkedHashMap<>();
        for (String job : FLEET_JOBS) {
            runs.computeIfAbsent(job, j -> new ArrayList<>()).add(startRun(live(), job));
        }
        // another in the middle of a restore
        JsonPath restoring = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> live().run(inRestore),
                r -> "RUNNING".equals(Api.stageStatus(r, "restore")) && !first.name().equals(r.getString("replica")));
        AppProcess second = replica(restoring.getString("replica"));
        second.killGroup();

        // their runs move to the one left once the leases run out
        JsonPath dumpTaken = await().atMost(Duration.ofMinutes(2)).until(() -> live().run(inDump), r -> movedFrom(r, first.name()));
        JsonPath restoreTaken = await().atMost(Duration.ofMinutes(2)).until(() -> live().run(inRestore), r -> movedFrom(r, second.name()));
        assertThat(dumpTaken.getString("attempts.find { it.failureClass == 'LEASE' }.stage")).isEqualTo("dump");
        assertThat(restoreTaken.getString("attempts.find { it.failureClass == 'LEASE' }.stage")).isEqualTo("restore");
        first.start();
        second.start();

        // a job created, changed and deleted over the API of one replica while the runs go on: the others have it at once
        Map<String, Object> definition = new LinkedHashMap<>();
        StringBuilder keys = new StringBuilder();
        RestartIT.job(keys, API_JOB, "directory", 0, DROP);
        keys.toString().lines().forEach(l -> definition.put(l.substring(("caravan.jobs." + API_JOB + ".").length(), l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        definition.put("name", API_JOB);
        REPLICAS.get(0).api().contentType("application/json").body(definition).post("/api/jobs").then().statusCode(201);
        assertThat(REPLICAS.get(1).api().get("/api/jobs/" + API_JOB).then().statusCode(200).extract().jsonPath().getString("origin"))
                .isEqualTo("api");
        String apiRun = startRun(REPLICAS.get(2), API_JOB);
        definition.put("conflicts", "replace");
        // not changed under its run (its stages read the job as each starts)
        REPLICAS.get(1).api().contentType("application/json").body(definition).put("/api/jobs/" + API_JOB).then().statusCode(409);
        JsonPath apiDone = Api.awaitStatus(() -> live().run(apiRun), Api.ENDED);
        REPLICAS.get(1).api().contentType("application/json").body(definition).put("/api/jobs/" + API_JOB).then().statusCode(200);
        assertThat(apiDone.getString("status")).as(apiDone.prettify()).isEqualTo("SUCCEEDED");
        assertThat(Faithful.differences(API_JOB)).isEmpty();
        String apiRerun = startRun(REPLICAS.get(0), API_JOB); // replaces its destination: the change is seen
        assertThat(Api.awaitStatus(() -> live().run(apiRerun), Api.ENDED).getString("status")).isEqualTo("SUCCEEDED");
        REPLICAS.get(2).api().delete("/api/jobs/" + API_JOB).then().statusCode(204);
        REPLICAS.get(0).api().get("/api/jobs/" + API_JOB).then().statusCode(404);
        REPLICAS.get(1).api().contentType("application/json").body("{}").post("/api/jobs/" + API_JOB + "/runs").then().statusCode(404);

        // the rest of the thirty, each job's next run once its last has succeeded, through any replica
        await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            for (String job : FLEET_JOBS) {
                List<String> ofJob = runs.get(job);
                JsonPath last = live().run(ofJob.get(ofJob.size() - 1));
                assertThat(last.getString("status")).as(last.prettify()).isNotIn("FAILED", "CANCELLED");
                if (last.getString("status").equals("SUCCEEDED") && ofJob.size() < RUNS_PER_JOB) {
                    ofJob.add(startRun(live(), job));
                }
            }
            return runs.values().stream().allMatch(l -> l.size() == RUNS_PER_JOB)
                    && runs.values().stream().flatMap(List::stream).allMatch(id -> live().run(id).getString("status").equals("SUCCEEDED"));
        });
        assertThat(Api.awaitStatus(() -> live().run(inDump), Api.ENDED).getString("status")).isEqualTo("SUCCEEDED");
        assertThat(Api.awaitStatus(() -> live().run(inRestore), Api.ENDED).getString("status")).isEqualTo("SUCCEEDED");
        Instant cronTo = Instant.now();

        List<String> all = new ArrayList<>(runs.values().stream().flatMap(List::stream).toList());
        all.add(inDump);
        all.add(inRestore);
        assertThat(all).hasSize(32).doesNotHaveDuplicates();
        for (String id : all) {
            JsonPath run = live().run(id);
            assertThat(run.getList("stages.status", String.class)).as(id).hasSize(io.pgcaravan.store.Stages.ALL.size()).containsOnly("DONE");
            assertThat(run.getList("verification.tables.match", Boolean.class)).as(id).isNotEmpty().containsOnly(true);
            assertNoStageDoneTwice(id);
        }
        for (String job : FLEET_JOBS) {
            assertThat(Faithful.differences(job)).as(job).isEmpty();
        }
        assertThat(Faithful.differences(KILLED_IN_DUMP)).isEmpty();
        assertThat(Faithful.differences(KILLED_IN_RESTORE)).isEmpty();

        assertCronFiredOncePerTick(cronFrom, cronTo);

        // a replica stopped as Kubernetes stops a pod (SIGTERM) hands its run back at once
        String drained = startRun(live(), KILLED_IN_DUMP);
        AppProcess leaving = replica(Api.awaitStageRunning(() -> live().run(drained), "dump").getString("replica"));
        leaving.terminate();
        JsonPath after = Api.awaitStatus(() -> live().run(drained), Api.ENDED);
        assertThat(after.getString("status")).as(after.prettify()).isEqualTo("SUCCEEDED");
        assertThat(after.getString("replica")).isNotEqualTo(leaving.name());
        assertThat(after.getList("attempts.failureClass", String.class)).as("handed back, not taken over").doesNotContain("LEASE");
        assertThat(Files.readString(HOME.resolve("data/logs").resolve(drained + ".log")))
                .contains("handed back by replica " + leaving.name() + ", which is shutting down");
        assertNoStageDoneTwice(drained);
        assertThat(Faithful.differences(KILLED_IN_DUMP)).isEmpty();

        // a job of several databases: a run of each, within its limits across the replicas left
        for (String db : SEVERAL_DATABASES) {
            Stack.createSource(db, Stack.sampleSql());
            Stack.addBigTable(db, 200_000);
            Stack.dropDestination(db + "_dst");
        }
        JsonPath started = live().api().contentType("application/json").body("{}").post("/api/jobs/" + SEVERAL + "/runs")
                .then().statusCode(202).extract().jsonPath();
        assertThat(started.getList("runs.database", String.class)).containsExactlyElementsOf(SEVERAL_DATABASES);
        List<JsonPath> severalRuns = new ArrayList<>();
        for (String id : started.getList("runs.id", String.class)) {
            JsonPath run = Api.awaitStatus(() -> live().run(id), Api.ENDED);
            assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
            assertNoStageDoneTwice(id);
            severalRuns.add(run);
        }
        for (String db : SEVERAL_DATABASES) {
            assertThat(io.pgcaravan.check.IndependentChecker.differences(
                    new io.pgcaravan.check.IndependentChecker.Side(Stack.SOURCE_PORT, Stack.ADMIN, Stack.sourcePassword(), db),
                    new io.pgcaravan.check.IndependentChecker.Side(Stack.DESTINATION_PORT, Stack.ADMIN, Stack.destinationPassword(), db + "_dst"),
                    io.pgcaravan.check.IndependentChecker.Allow.own(Stack.ADMIN, "postgres"))).as(db).isEmpty();
        }
        assertThat(severalRuns.stream().map(r -> r.getString("replica")).distinct().count()).as("spread over the replicas").isGreaterThan(1);
        assertThat(mostAtOnce(severalRuns, "precheck", "upload")).as("export halves at once (source.max-concurrent-runs=1)").isEqualTo(1);
        assertThat(mostAtOnce(severalRuns, "checksum", "report")).as("import halves at once (destination.max-concurrent-runs=2)")
                .isBetween(1, 2);

        // cancelled through a replica that does not hold it: the holder stops its pg_dump, and records nothing more
        String cancelled = startRun(live(), KILLED_IN_DUMP);
        AppProcess holder = replica(Api.awaitStageRunning(() -> live().run(cancelled), "dump").getString("replica"));
        AppProcess bystander = REPLICAS.stream().filter(r -> r != holder && r.alive()).findFirst().orElseThrow();
        bystander.api().contentType("application/json").post("/api/runs/" + cancelled + "/cancel").then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("CANCELLED"));
        await().atMost(Duration.ofSeconds(10)).until(() -> dumpsOf(StackResource.sourceDb(KILLED_IN_DUMP)) == 0);
        Thread.sleep(2000);
        JsonPath afterCancel = holder.run(cancelled);
        assertThat(afterCancel.getString("status")).isEqualTo("CANCELLED");
        assertThat(Api.stageStatus(afterCancel, "dump")).as(afterCancel.prettify()).isNotEqualTo("DONE");
        assertThat(Api.stageStatus(afterCancel, "upload")).isEqualTo("PENDING");

        anApiJobsScheduleGoesWithIt();
    }

    /**
     * A schedule given to a job over one replica's API fires for the fleet; taken away over
     * another's, its trigger leaves Quartz's clustered store and nothing fires any more.
     */
    private static void anApiJobsScheduleGoesWithIt() throws Exception {
        String job = "fl-apicron";
        Stack.freshJob(job);
        StringBuilder keys = new StringBuilder();
        RestartIT.job(keys, job, "directory", 0, DROP);
        Map<String, Object> definition = new LinkedHashMap<>();
        keys.toString().lines().forEach(l -> definition.put(l.substring(("caravan.jobs." + job + ".").length(), l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        definition.put("name", job);
        definition.put("conflicts", "replace");
        definition.put("schedule.cron", "* * * * * ?");
        live().api().contentType("application/json").body(definition).post("/api/jobs").then().statusCode(201);
        await().atMost(Duration.ofSeconds(40)).until(() -> !scheduledOf(job).isEmpty());
        // (not deleted while a run of it is active: its schedule is taken away first, over another replica)
        definition.remove("schedule.cron");
        live().api().contentType("application/json").body(definition).put("/api/jobs/" + job).then().statusCode(200);
        Thread.sleep(7000); // every replica brings its schedules up to date every 5 s
        int after = scheduledOf(job).size();
        Thread.sleep(4000);
        assertThat(scheduledOf(job)).as("no fires once the job is gone").hasSize(after);
        try (Connection c = Stack.destination(CONTROL); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM qrtz_triggers WHERE trigger_name = '" + job + "'")) {
            rs.next();
            assertThat(rs.getLong(1)).as("its trigger left the clustered store").isZero();
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> scheduledOf(job).stream().noneMatch(st -> st.equals("QUEUED") || st.equals("RUNNING")));
        live().api().delete("/api/jobs/" + job).then().statusCode(204);
    }

    private static List<String> scheduledOf(String job) {
        return live().api().get("/api/runs?job=" + job + "&limit=500").then().statusCode(200).extract().jsonPath()
                .getList("findAll { it.trigger == 'schedule' }.status", String.class);
    }

    /** The sessions on a source database (pg_dump's, and the app's own that hold its snapshot). */
    private static long dumpsOf(String database) throws Exception {
        try (Connection c = Stack.source("postgres"); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The most runs that were between the start of one stage and the end of another at the same moment. */
    private static int mostAtOnce(List<JsonPath> runs, String from, String to) {
        List<Instant[]> spans = runs.stream().map(r -> new Instant[] {
                java.time.OffsetDateTime.parse(r.getString("stages.find { it.name == '" + from + "' }.startedAt")).toInstant(),
                java.time.OffsetDateTime.parse(r.getString("stages.find { it.name == '" + to + "' }.finishedAt")).toInstant()}).toList();
        int most = 0;
        for (Instant[] span : spans) {
            // at the moment one starts, those that started before it and had not ended yet
            int at = (int) spans.stream().filter(o -> !o[0].isAfter(span[0]) && o[1].isAfter(span[0])).count();
            most = Math.max(most, at);
        }
        return most;
    }

    /** The run's lease ran out on the replica and another took it over, saying so in its attempts. */
    private static boolean movedFrom(JsonPath run, String replica) {
        return !replica.equals(run.getString("replica"))
                && run.getList("attempts.cause", String.class).stream().anyMatch(c -> c.startsWith("replica " + replica + " stopped renewing"));
    }

    private static final Pattern STAGE_LINE = Pattern.compile("^\\S+ \\w+ \\[(r\\d)] (\\w+) (started|done)$");

    /**
     * From the run's own log, which every replica writes to (each line names its replica): no
     * stage starts again once it was recorded done, and replicas take turns, never interleaving.
     */
    private static void assertNoStageDoneTwice(String id) throws Exception {
        List<String> lines = Files.readAllLines(HOME.resolve("data/logs").resolve(id + ".log"));
        java.util.Set<String> done = new java.util.HashSet<>();
        List<String> turns = new ArrayList<>();
        for (String line : lines) {
            Matcher m = STAGE_LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            if (turns.isEmpty() || !turns.get(turns.size() - 1).equals(m.group(1))) {
                turns.add(m.group(1));
            }
            if (m.group(3).equals("started")) {
                assertThat(done).as(id + ": " + line).doesNotContain(m.group(2));
                if (m.group(2).equals("dump")) {
                    // the manifest is counted inside the dump, in its snapshot: a dump taken again counts it again
                    done.remove("manifest");
                }
            } else {
                done.add(m.group(2));
            }
        }
        // (that every stage is done is the run history's to say, asserted above: a replica killed
        // between recording a stage done and logging it leaves no "done" line for it)
        assertThat(lines).as(id).isNotEmpty();
        // at most: the export half, the import half, and a takeover of either
        assertThat(turns).as(id + " " + turns).hasSizeLessThanOrEqualTo(3);
    }

    /**
     * Runs and SKIPPED records of the cron job, each fire's: about one a second over the window,
     * not one a second per replica (three replicas each firing would make three times as many).
     */
    private static void assertCronFiredOncePerTick(Instant from, Instant to) throws Exception {
        try (Connection c = Stack.destination(CONTROL); java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT count(*), count(*) FILTER (WHERE status = 'SUCCEEDED'), count(*) FILTER (WHERE status = 'SKIPPED') "
                        + "FROM caravan_run WHERE job = ? AND created_at BETWEEN ? AND ?")) {
            ps.setString(1, CRON);
            ps.setObject(2, java.time.OffsetDateTime.ofInstant(from, java.time.ZoneOffset.UTC));
            ps.setObject(3, java.time.OffsetDateTime.ofInstant(to, java.time.ZoneOffset.UTC));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long seconds = Duration.between(from, to).toSeconds();
                int fires = rs.getInt(1);
                // (a tick or a few are lost while the replica that had acquired them dies: Quartz
                // recovers the trigger, and fires a missed tick once)
                assertThat(fires).as("fires over " + seconds + " s").isBetween((int) (seconds / 2), (int) seconds + 2);
                assertThat(rs.getInt(2)).as("scheduled runs that ran").isPositive();
                assertThat(rs.getInt(3)).as("fires while the job's run was active, recorded as SKIPPED").isPositive();
            }
        }
    }

    private static AppProcess replica(String name) {
        return REPLICAS.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no replica " + name));
    }

    /** A replica that is up. */
    private static AppProcess live() {
        List<AppProcess> up = REPLICAS.stream().filter(AppProcess::alive).toList();
        return up.get((int) (System.nanoTime() % up.size()));
    }

    private static String startRun(AppProcess replica, String job) {
        return replica.api().contentType("application/json").body("{}").post("/api/jobs/" + job + "/runs")
                .then().statusCode(202).extract().path("id");
    }
}

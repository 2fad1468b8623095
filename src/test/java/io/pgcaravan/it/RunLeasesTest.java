package io.pgcaravan.it;

import io.pgcaravan.store.RunLeases;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The claims of a fleet's replicas on runs, on a real PostgreSQL with the app's own migrations:
 * many replicas claiming at once never get the same run, a lease that runs out passes the run to
 * one other replica (which learns whose it was), zones keep each half where it belongs.
 */
class RunLeasesTest {

    static final String DB = "caravan_leases_test";
    static final Duration LONG = Duration.ofMinutes(5);
    static final List<String> NONE = List.of();

    private PGSimpleDataSource ds;
    private RunLeases leases;

    @BeforeEach
    void freshDatabase() throws Exception {
        try (Connection c = Stack.destination("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + DB);
        }
        ds = new PGSimpleDataSource();
        ds.setUrl("jdbc:postgresql://127.0.0.1:" + Stack.DESTINATION_PORT + "/" + DB);
        ds.setUser(Stack.ADMIN);
        ds.setPassword(Stack.destinationPassword());
        Flyway.configure().dataSource(ds).locations("classpath:db/migration", "classpath:db/postgresql").load().migrate();
        leases = new RunLeases(ds);
    }

    @Test
    void eightReplicasClaimingAtOnceNeverGetTheSameRun() throws Exception {
        for (int i = 0; i < 60; i++) {
            queued("job" + i + "-run", "job" + i, null, null, false);
        }
        Map<String, List<String>> claimedBy = new ConcurrentHashMap<>();
        eightReplicasAtOnce(replica -> {
            Optional<RunLeases.Claim> claim;
            while ((claim = leases.claim(replica, null, LONG, true, true, NONE)).isPresent()) {
                claimedBy.computeIfAbsent(claim.get().runId(), k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(replica);
                assertThat(claim.get().takeover()).isFalse();
            }
        });

        assertThat(claimedBy).hasSize(60);
        claimedBy.forEach((run, by) -> assertThat(by).as(run).hasSize(1));
        // more than one replica got work (they skip each other's rows instead of queueing behind them)
        assertThat(claimedBy.values().stream().map(l -> l.get(0)).distinct().count()).isGreaterThan(1);
    }

    @Test
    void aLeaseThatRunsOutPassesTheRunToOneOtherReplicaWhichLearnsWhoseItWas() throws Exception {
        queued("a-run", "a", null, null, false);
        RunLeases.Claim first = leases.claim("r1", null, Duration.ofSeconds(1), true, true, NONE).orElseThrow();
        assertThat(first.runId()).isEqualTo("a-run");
        int e1 = first.epoch();
        assertThat(leases.claim("r2", null, LONG, true, true, NONE)).as("held: nobody else gets it").isEmpty();
        assertThat(leases.holds("r1", "a-run", e1)).isTrue();
        assertThat(leases.renew("r1", List.of("a-run"), Duration.ofSeconds(1))).containsExactly("a-run");

        Thread.sleep(1500);
        assertThat(leases.holds("r1", "a-run", e1)).as("ran out").isFalse();
        assertThat(leases.renew("r1", List.of("a-run"), LONG)).as("a lease that ran out is not renewed, taken or not").isEmpty();
        RunLeases.Claim taken = leases.claim("r2", null, LONG, true, true, NONE).orElseThrow();
        assertThat(taken.runId()).isEqualTo("a-run");
        assertThat(taken.takeover()).isTrue();
        assertThat(taken.previousReplica()).isEqualTo("r1");
        assertThat(taken.epoch()).as("each claim counts up").isGreaterThan(e1);
        assertThat(leases.claim("r3", null, LONG, true, true, NONE)).isEmpty();

        // the first replica, back, finds it is no longer its own and records nothing more
        assertThat(leases.renew("r1", List.of("a-run"), LONG)).isEmpty();
        assertThat(leases.holds("r1", "a-run", e1)).isFalse();
        assertThat(leases.holds("r2", "a-run", taken.epoch())).isTrue();

        // let go (its half done): the next claim is no takeover; a stale claim lets go of nothing
        leases.release("r1", "a-run", e1);
        leases.release("r2", "a-run", e1);
        assertThat(leases.holds("r2", "a-run", taken.epoch())).as("only the holder, under its claim, lets go").isTrue();
        leases.release("r2", "a-run", taken.epoch());
        RunLeases.Claim next = leases.claim("r3", null, LONG, true, true, NONE).orElseThrow();
        assertThat(next.takeover()).isFalse();
        assertThat(next.previousReplica()).isEqualTo("r2");
        // the same replica claiming it again: the earlier claim's exchange is told apart
        Thread.sleep(10);
        assertThat(leases.holds("r3", "a-run", next.epoch() - 1)).isFalse();
    }

    @Test
    void eachHalfGoesOnlyToReplicasOfItsZoneAndRole() throws Exception {
        queued("exp-dc1", "j1", "dc1", "cloud", false);
        queued("imp-cloud", "j2", "dc1", "cloud", true);
        queued("plain", "j3", null, null, false);

        assertThat(leases.claim("cloud-1", "cloud", LONG, true, false, NONE)).as("the export half of dc1's job is dc1's").isEmpty();
        assertThat(leases.claim("dc1-1", "dc1", LONG, false, true, NONE)).as("an export-only replica takes no import half").isEmpty();
        assertThat(leases.claim("dc1-1", "dc1", LONG, true, true, NONE)).map(RunLeases.Claim::runId).contains("exp-dc1");
        assertThat(leases.claim("dc1-2", "dc1", LONG, true, true, NONE)).as("the import half is the cloud's").isEmpty();
        assertThat(leases.claim("cloud-1", "cloud", LONG, true, true, NONE)).map(RunLeases.Claim::runId).contains("imp-cloud");
        queued("exp-dc2", "j4", "dc2", null, false);
        assertThat(leases.claim("anywhere", null, LONG, true, true, NONE)).as("a replica without a zone takes no zoned half")
                .map(RunLeases.Claim::runId).contains("plain");
        assertThat(leases.claim("anywhere", null, LONG, true, true, NONE)).isEmpty();
        assertThat(leases.claim("dc2-1", "dc2", LONG, true, true, List.of("exp-dc2"))).as("one it declined is left to the others").isEmpty();
        assertThat(leases.claim("dc2-1", "dc2", LONG, true, true, NONE)).map(RunLeases.Claim::runId).contains("exp-dc2");
    }

    @Test
    void anEndedRunIsNotClaimedAndItsHolderLearnsItAtTheNextRenewal() throws Exception {
        queued("c-run", "c", null, null, false);
        assertThat(leases.claim("r1", null, LONG, true, true, NONE)).isPresent();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("UPDATE caravan_run SET status = 'CANCELLED' WHERE id = 'c-run'");
        }
        assertThat(leases.renew("r1", List.of("c-run"), LONG)).as("cancelled on another replica").isEmpty();
        leases.release("r1", "c-run", 1);
        assertThat(leases.claim("r2", null, LONG, true, true, NONE)).isEmpty();
    }

    @Test
    void twoReplicasQueueingTheSameJobAtOnceGetOneActiveRun() throws Exception {
        queued("one", "busy", null, null, false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> queued("two", "busy", null, null, false))
                .hasMessageContaining("caravan_run_one_active");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("UPDATE caravan_run SET status = 'SUCCEEDED' WHERE id = 'one'");
        }
        queued("three", "busy", null, null, false);
        // a job of several databases: one active run of each
        queued("m1", "multi", "a", null, null, false);
        queued("m2", "multi", "b", null, null, false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> queued("m3", "multi", "a", null, null, false))
                .hasMessageContaining("caravan_run_one_active");
    }

    @Test
    void aReplicaThatLostTheRunWritesNothingOfItsProgress() throws Exception {
        queued("f-run", "f", null, null, false);
        var store = new io.pgcaravan.store.RunStore(ds, new com.fasterxml.jackson.databind.ObjectMapper());
        RunLeases.Claim first = leases.claim("r1", null, Duration.ofSeconds(1), true, true, NONE).orElseThrow();
        var r1 = new io.pgcaravan.store.RunStore.Fence("r1", first.epoch());
        assertThat(store.stageStarted("f-run", "precheck", r1)).isTrue();
        assertThat(store.stageStarted("f-run", "precheck", new io.pgcaravan.store.RunStore.Fence("r2", first.epoch())))
                .as("not the holder").isFalse();
        assertThat(store.stageStarted("f-run", "precheck", new io.pgcaravan.store.RunStore.Fence("r1", first.epoch() - 1)))
                .as("an earlier claim of the holder").isFalse();

        Thread.sleep(1500); // r1 stalls past its lease; r2 takes the run over
        assertThat(store.stageFinished("f-run", "precheck", io.pgcaravan.store.StageStatus.DONE, "r1's", r1))
                .as("ran out, even before anyone took it").isFalse();
        RunLeases.Claim second = leases.claim("r2", null, LONG, true, true, NONE).orElseThrow();
        var r2 = new io.pgcaravan.store.RunStore.Fence("r2", second.epoch());
        assertThat(store.stageFinished("f-run", "precheck", io.pgcaravan.store.StageStatus.DONE, "r1's", r1)).isFalse();
        assertThat(store.runFinished("f-run", io.pgcaravan.store.RunStatus.FAILED, "r1 says so", r1)).isFalse();
        assertThat(store.stages("f-run").stream().filter(st -> st.stage().equals("precheck")).findFirst().orElseThrow().status())
                .isEqualTo(io.pgcaravan.store.StageStatus.RUNNING);
        assertThat(store.stageFinished("f-run", "precheck", io.pgcaravan.store.StageStatus.DONE, "r2's", r2)).isTrue();
        assertThat(store.runFinished("f-run", io.pgcaravan.store.RunStatus.FAILED, "r2 says so", r2)).isTrue();
        assertThat(store.stages("f-run").stream().filter(st -> st.stage().equals("precheck")).findFirst().orElseThrow().detail())
                .isEqualTo("r2's");
        assertThat(store.stageStarted("f-run", "roles", null)).as("a process alone writes as it always did").isTrue();
    }

    @Test
    void aJobsLimitHoldsForReplicasClaimingAtOnceAndFreesAsAHalfEnds() throws Exception {
        for (int i = 0; i < 10; i++) {
            queued("lim-" + i, "lim", "db" + i, null, null, false);
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("UPDATE caravan_run SET export_limit = 2, import_limit = 1 WHERE job = 'lim'");
        }
        Map<String, String> claimed = new ConcurrentHashMap<>();
        eightReplicasAtOnce(replica -> {
            for (int i = 0; i < 5; i++) {
                leases.claim(replica, null, LONG, true, true, NONE).ifPresent(cl -> claimed.put(cl.runId(), replica));
            }
        });
        assertThat(claimed).as("export_limit = 2, however many claim at once").hasSize(2);

        // one of them ends its export half: one more export may start, and its import half is claimable (import_limit = 1)
        String done = claimed.keySet().iterator().next();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("UPDATE caravan_stage SET status = 'DONE' WHERE run_id = '" + done + "' AND stage IN ("
                    + String.join(", ", io.pgcaravan.store.Stages.EXPORT.stream().map(x -> "'" + x + "'").toList()) + ")");
        }
        leases.release(claimed.get(done), done, 1);
        RunLeases.Claim importHalf = leases.claim("imp", null, LONG, false, true, NONE).orElseThrow();
        assertThat(importHalf.runId()).isEqualTo(done);
        assertThat(leases.claim("exp", null, LONG, true, false, NONE)).as("a place in the export half is free").isPresent();
        assertThat(leases.claim("exp", null, LONG, true, false, NONE)).as("and only one").isEmpty();
        queued("other-job", "other", null, null, false);
        assertThat(leases.claim("exp", null, LONG, true, false, NONE)).as("another job's runs are not held back")
                .map(RunLeases.Claim::runId).contains("other-job");
    }

    interface Replica {
        void claim(String name) throws Exception;
    }

    /** Eight replicas (r0-r7) doing their claims at the same moment, each on a thread of its own. */
    private static void eightReplicasAtOnce(Replica replica) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<java.util.concurrent.Future<Object>> claimers = new ArrayList<>();
        for (int r = 0; r < 8; r++) {
            String name = "r" + r;
            claimers.add(pool.submit(() -> {
                go.await();
                replica.claim(name);
                return null;
            }));
        }
        go.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        for (var claimer : claimers) {
            claimer.get(); // (an assertion that failed in a claimer fails here)
        }
    }

    /** A queued run with its stages; {@code exportDone}: its export stages are done (the import half is left). */
    private void queued(String id, String job, String exportZone, String importZone, boolean exportDone) throws Exception {
        queued(id, job, null, exportZone, importZone, exportDone);
    }

    /** The same, of one of the job's databases. */
    private void queued(String id, String job, String database, String exportZone, String importZone, boolean exportDone) throws Exception {
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO caravan_run (id, job, status, trigger_kind, options, created_at, "
                    + "export_zone, import_zone, database_name) VALUES (?, ?, 'QUEUED', 'api', '{}', now(), ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, job);
                ps.setString(3, exportZone);
                ps.setString(4, importZone);
                ps.setString(5, database);
                ps.executeUpdate();
            }
            Map<String, Boolean> stages = new HashMap<>();
            int seq = 0;
            for (String stage : io.pgcaravan.store.Stages.ALL) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO caravan_stage (run_id, seq, stage, status) VALUES (?, ?, ?, ?)")) {
                    boolean done = exportDone && io.pgcaravan.store.Stages.EXPORT.contains(stage);
                    stages.put(stage, done);
                    ps.setString(1, id);
                    ps.setInt(2, seq++);
                    ps.setString(3, stage);
                    ps.setString(4, done ? "DONE" : "PENDING");
                    ps.executeUpdate();
                }
            }
            assertThat(stages.keySet()).containsAll(Set.of("precheck", "upload", "restore"));
        }
    }
}

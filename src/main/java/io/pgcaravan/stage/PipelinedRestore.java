package io.pgcaravan.stage;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobConfig.DumpFormat;
import io.pgcaravan.config.JobConfig.RestoreMode;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.DeliveryTree;
import io.pgcaravan.delivery.DumpSequences;
import io.pgcaravan.delivery.Sha256;
import io.pgcaravan.delivery.Zstd;
import io.pgcaravan.exec.ToolCommand;
import io.pgcaravan.exec.ToolExecutor;
import io.pgcaravan.exec.ToolRuns;
import io.pgcaravan.live.ActiveRuns;
import io.pgcaravan.live.Half;
import io.pgcaravan.pg.ConnInfo;
import io.pgcaravan.pg.PassFiles;
import io.pgcaravan.pg.PgTools;
import io.pgcaravan.stage.dump.EarlyUpload;
import io.pgcaravan.delivery.TablePieces;
import io.pgcaravan.stage.pipeline.PieceLoad;
import io.pgcaravan.stage.pipeline.PipelineJournal;
import io.pgcaravan.stage.pipeline.PostDataPlan;
import io.pgcaravan.stage.pipeline.RestoreLanes;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.track.RunLog;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.RunContexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.component.exec.ExecCommand;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The restore while the delivery is still arriving (restore.pipelined), in the all-in-one
 * deployment: as soon as the roles, the manifest and the table of contents are in the drop
 * directory it does what the prepare stage does and restores the schema (pre-data); then each
 * table's data once its file has arrived, with its indexes and keys right after it
 * ({@link PostDataPlan}), on as many pg_restore lanes at once as the restore has jobs
 * ({@link RestoreLanes}); foreign keys once both of their tables are in. What is left (triggers,
 * sequences, large objects, what could not go early) and the owners and privileges are the
 * restore stage's, after the DONE marker: it restores only that ({@link PipelineJournal}).
 * <p>
 * Each piece is copied from the drop directory into the run's work directory and hashed on the
 * way; only a copy that hashes to what the export half sent (the SHA-256 it computed while
 * sending, or its checksum list once sealed) is restored — the SFTP account can write the drop
 * directory, this process's memory it cannot. pg_dump's staging files are never read here: what is
 * restored is what crossed the link. The checksum stage later takes these copies over, if the
 * signed list names them with the same SHA-256; if not, the restore starts again from a clean
 * database. Only into a database the run may throw away (as a parallel restore), so that a kill in
 * the middle is cleaned up as a failed parallel restore is.
 * <p>
 * Longer than 250 lines because the worker's steps (take a piece, prepare, the schema, the lanes)
 * share its state and the start / stop protocol around the checksum stage; apart, each would
 * reach into the others.
 */
@ApplicationScoped
@Named("pipelinedRestore")
public class PipelinedRestore {

    private static final Logger LOG = Logger.getLogger(PipelinedRestore.class);
    private static final long POLL_MS = 200;
    /** A lane takes small tables together up to this much data (one pg_restore each would cost more than it loads). */
    private static final long LANE_BYTES = 64L << 20;
    private static final String PART = "pipelined-restore";
    private static final String TOC = DeliveryFiles.DUMP + "/toc.dat";
    private static final Pattern TABLE_DATA = Pattern.compile("^(\\d+); \\d+ \\d+ TABLE DATA ");
    private static final Pattern ENTRY_ID = Pattern.compile("^(\\d+); ");
    private static final Pattern DATA_FILE = Pattern.compile("(\\d+)\\.dat(\\.gz)?(" + Pattern.quote(Zstd.SUFFIX) + ")?");
    /** A lane's work id for one piece of a table in pieces (beside TABLE DATA ids). */
    private static final String PIECE = "piece:";
    /** What stands for a table in pieces' data among the loaded, once every piece is in. */
    private static final String PIECES_OF = "pieces-of-";

    @Inject
    RunContexts contexts;
    @Inject
    CaravanConfig config;
    @Inject
    EarlyUpload earlyUpload;
    @Inject
    Prepare prepare;
    @Inject
    RunStore store;
    @Inject
    PgTools tools;
    @Inject
    PassFiles passFiles;
    @Inject
    ToolExecutor executor;
    @Inject
    RunLog runLog;
    @Inject
    ActiveRuns activeRuns;

    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pipelined-restore");
        t.setDaemon(true);
        return t;
    });

    /** The dump route's step, once the early upload has started: begins restoring as the delivery arrives, where it may. */
    public void start(Exchange exchange) throws Exception {
        RunContext ctx = contexts.of(exchange);
        // an earlier dump's worker goes at once (a retried dump holds the source's snapshot and freeze meanwhile)
        activeRuns.find(ctx.runId()).flatMap(r -> r.take(PART, Worker.class)).ifPresent(Worker::halt);
        if (!eligible(ctx)) {
            return;
        }
        PipelineJournal journal = PipelineJournal.of(ctx.workDirMade());
        journal.reset();
        earlyUpload.sendMetadataFirst(ctx.runId());
        Worker worker = new Worker(ctx, journal);
        worker.future = threads.submit(worker::run);
        activeRuns.hold(ctx.runId(), Half.IMPORT, PART, worker, worker::halt);
    }

    /**
     * The restore may begin before the delivery is complete only where both halves are this
     * process (the export half's SHA-256s are at hand), into a checked copy, as a parallel restore
     * would be (not into what conflicts=ignore keeps, nor where the job wants one transaction),
     * and not where the job limits its runs on the destination (begun as the dump is, a restore
     * would be on the destination through the whole export half, which that limit does not count).
     */
    private boolean eligible(RunContext ctx) {
        return config.role() == CaravanConfig.Role.ALL && ctx.job().restore().pipelined()
                && ctx.job().destination().maxConcurrentRuns().isEmpty()
                && ctx.options().dumpFormat() == DumpFormat.DIRECTORY && ctx.privateCopy()
                // (not conflicts=replace: its drop of the existing database waits for a complete, checked delivery)
                && ctx.job().conflicts() == JobConfig.ConflictMode.FAIL
                && ctx.options().restoreMode() != RestoreMode.SINGLE_TRANSACTION;
    }

    /** Whether a restore begun as the delivery arrived is going on in this process for the run. */
    public boolean running(String runId) {
        return activeRuns.part(runId, PART, Worker.class).isPresent();
    }

    /** The import route's step before the checksum stage (see {@link #stop(String)}). */
    public void stopBeforeChecksum(Exchange exchange) {
        stop(contexts.of(exchange).runId());
    }

    /**
     * Before the checksum stage reads the delivery: the pipeline ends, so that nothing it does
     * overlaps the stages. The delivery is complete by then: once loading the tables' data it
     * restores what has arrived first (the indexes and keys with it), on every lane; before that,
     * it stops after the step it is in (a pg_restore running ends as it would).
     */
    public void stop(String runId) {
        // (the part stays held meanwhile, so that a cancel still halts it; the worker lets go of it as it ends)
        activeRuns.part(runId, PART, Worker.class).ifPresent(Worker::finish);
    }

    /** A piece that is not what the export half sent, or a delivery holding what is refused: nothing more is restored early. */
    private static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private final class Worker {
        final RunContext ctx;
        final PipelineJournal journal;
        final CountDownLatch ended = new CountDownLatch(1);
        final Map<String, String> listed = new HashMap<>();
        final Set<String> taken = new HashSet<>();
        /** Pieces that did not hash to what was sent: never restored here. */
        final Set<String> refused = new HashSet<>();
        /** The size of each table's data file taken, by its TABLE DATA id. */
        final Map<String, Long> sizes = new HashMap<>();
        volatile boolean stopping;
        /** The tables' data is being restored: a stop lets it restore what has arrived rather than leave it. */
        volatile boolean loading;
        /** The delivery is complete: restore what has arrived, then end (nothing more comes). */
        volatile boolean completing;
        Future<?> future;

        Worker(RunContext ctx, PipelineJournal journal) {
            this.ctx = ctx;
            this.journal = journal;
        }

        void run() {
            try {
                work();
            } catch (InterruptedException | java.io.InterruptedIOException e) {
                Thread.currentThread().interrupt();
            } catch (Refused e) {
                runLog.warn(LOG, ctx.runId(), "restoring while the delivery arrives stopped: " + e.getMessage()
                        + " (the checksum and restore stages deal with the whole delivery)");
            } catch (Exception e) {
                runLog.warn(LOG, ctx.runId(), "restoring while the delivery arrives stopped (the restore stage restores the rest): "
                        + e.getMessage());
            } finally {
                // (stop() took it out already, unless it ended on its own)
                activeRuns.part(ctx.runId(), PART, Worker.class).filter(w -> w == this)
                        .ifPresent(w -> activeRuns.find(ctx.runId()).ifPresent(r -> r.take(PART, Worker.class)));
                if (!activeRuns.working(ctx.runId(), Half.IMPORT)) {
                    // the import half's passfile was made for this thread: the half makes its own when it comes
                    passFiles.release(ctx.runId(), Half.IMPORT);
                }
                ended.countDown();
            }
        }

        private void work() throws Exception {
            List<String> first = new ArrayList<>();
            if (Files.exists(ctx.stagingDir().resolve(DeliveryFiles.ROLES))) {
                first.add(DeliveryFiles.ROLES);
            }
            first.add(DeliveryFiles.MANIFEST);
            first.add(TOC);
            while (!taken.containsAll(first)) {
                for (String name : first) {
                    take(name);
                }
                if (!taken.containsAll(first) && !pause()) {
                    return;
                }
            }
            // what the prepare stage does, from the pieces taken (it skips then, see Prepare)
            String prepared = prepare.early(ctx.readingFrom(journal.dir()));
            journal.prepared(prepared);
            if (stopping) {
                return;
            }
            if (!store.find(ctx.runId()).orElseThrow().destinationDisposable()) {
                runLog.info(LOG, ctx.runId(), "prepared while the delivery arrives (" + prepared + "); not restoring before it is complete: "
                        + "the destination database held tables of its own");
                return;
            }
            Path dump = journal.dir().resolve(DeliveryFiles.DUMP);
            List<String> toc = DumpSequences.toc(tools.path("pg_restore"), dump, journal.dir());
            Path objects = journal.dir().resolve("objects.list");
            Files.write(objects, toc.stream().filter(l -> !Restore.PRIVILEGES.matcher(l).find()).toList(), StandardCharsets.UTF_8);
            if (stopping) {
                return;
            }
            runLog.info(LOG, ctx.runId(), "restoring the schema while the data is still arriving (" + prepared + ")");
            step("pre-data", List.of("--section=pre-data", "--use-list=" + objects), 1);

            Map<String, String> data = new LinkedHashMap<>(); // dump id -> its TOC line
            for (String l : toc) {
                Matcher m = TABLE_DATA.matcher(l);
                if (m.find()) {
                    data.put(m.group(1), l);
                }
            }
            PostDataPlan plan = postDataPlan(objects, dump);
            // the tables in pieces: their indexes and keys wait for every piece
            Map<String, TablePieces> pieces;
            try {
                List<TablePieces> inPieces = PieceLoad.checked(prepare.manifest(ctx.readingFrom(journal.dir())).piecesOrNone());
                for (TablePieces t : inPieces) {
                    if (!plan.dataAs(t.oid(), PIECES_OF + t.oid())) {
                        throw new IOException(t.display() + " travels in pieces but the dump has no such table");
                    }
                }
                pieces = PieceLoad.byFile(inPieces);
            } catch (IOException e) {
                throw new Refused(e.getMessage());
            }
            int tables = data.size() + (int) pieces.values().stream().distinct().count();
            Set<String> piecesLoaded = new HashSet<>();
            List<String> pieceQueue = new ArrayList<>();
            Set<String> restored = new HashSet<>();
            Set<String> built = new HashSet<>();
            List<String> queue = new ArrayList<>(); // taken, waiting for a lane, as they arrived
            Set<String> started = new HashSet<>();
            int[] lists = {0};
            boolean lastLook = false;
            loading = true;
            try (RestoreLanes lanes = new RestoreLanes(ctx.options().restoreJobs())) {
                try {
                    while (true) {
                        for (RestoreLanes.Work w : lanes.collect()) {
                            if (w.data().size() == 1 && w.data().iterator().next().startsWith(PIECE)) {
                                String file = w.data().iterator().next().substring(PIECE.length());
                                piecesLoaded.add(file);
                                TablePieces t = pieces.get(file);
                                boolean all = t.pieces().stream().allMatch(p -> piecesLoaded.contains(p.file()));
                                if (all) {
                                    restored.add(PIECES_OF + t.oid());
                                }
                                runLog.info(LOG, ctx.runId(), String.format("loaded %s of %s as it arrived%s", file, t.display(),
                                        all ? ": all " + t.pieces().size() + " pieces in (" + restored.size() + " of " + tables + " tables' data)" : ""));
                                continue;
                            }
                            restored.addAll(w.data());
                            built.addAll(w.post());
                            int n = w.data().isEmpty() ? w.post().size() : w.data().size();
                            runLog.info(LOG, ctx.runId(), String.format("restored %s as %s arrived (%d of %d tables' data, %d of %d indexes and keys)",
                                    (w.data().isEmpty() ? n + " foreign key" : "the data of " + n + " table") + (n == 1 ? "" : "s"),
                                    n == 1 ? "it" : "they", restored.size(), tables, built.size(), plan.size()));
                        }
                        if (stopping) {
                            lanes.drain(); // (a table's COPY or index under way is work the restore needs anyway)
                            lanes.collect();
                            return;
                        }
                        for (String name : arrived()) {
                            String base = name.substring(DeliveryFiles.DUMP.length() + 1);
                            String plain = Zstd.compressed(name) ? Zstd.decompressedName(base) : base;
                            if (pieces.containsKey(plain) && !piecesLoaded.contains(plain) && !pieceQueue.contains(plain)
                                    && !started.contains(PIECE + plain) && take(name)) {
                                pieceQueue.add(plain);
                            }
                            Matcher m = DATA_FILE.matcher(base);
                            if (m.matches() && data.containsKey(m.group(1)) && !started.contains(m.group(1)) && !queue.contains(m.group(1))
                                    && take(name)) {
                                queue.add(m.group(1));
                            }
                        }
                        boolean more = false;
                        // a piece first: the table in pieces and then its indexes are what the restore waits for last
                        while (lanes.free() && !pieceQueue.isEmpty() && !stopping) {
                            String file = pieceQueue.remove(0);
                            started.add(PIECE + file);
                            lanes.start(new RestoreLanes.Work(Set.of(PIECE + file), Set.of(), Set.of()), () -> piece(file, pieces.get(file)));
                            more = true;
                        }
                        while (lanes.free() && !queue.isEmpty() && !stopping) {
                            Set<String> batch = batch(queue);
                            started.addAll(batch);
                            Set<String> loaded = new HashSet<>(restored);
                            loaded.addAll(batch);
                            // its indexes and keys, built by the same pg_restore right after its data
                            Map<String, String> post = plan.ready(loaded, built, lanes.busy(), false);
                            List<String> lines = new ArrayList<>(data.entrySet().stream().filter(e -> batch.contains(e.getKey())).map(Map.Entry::getValue).toList());
                            lines.addAll(post.values());
                            String step = "data " + String.join(" ", data.keySet().stream().filter(batch::contains).toList())
                                    + (post.isEmpty() ? "" : " " + PipelineJournal.POST + String.join(" ", post.keySet()));
                            Path list = writeList(lists, lines);
                            lanes.start(new RestoreLanes.Work(batch, post.keySet(), Set.of()),
                                    () -> step(step, List.of("--section=data", "--section=post-data", "--use-list=" + list), 1));
                            more = true;
                        }
                        if (lanes.free() && !stopping) {
                            // indexes and keys whose table came in pieces (or that became ready late): a lane of them, on the restore's jobs
                            Map<String, String> late = plan.ready(restored, built, lanes.busy(), false);
                            if (!late.isEmpty()) {
                                Path list = writeList(lists, List.copyOf(late.values()));
                                int jobs = Math.min(late.size(), ctx.options().restoreJobs());
                                lanes.start(new RestoreLanes.Work(Set.of(), late.keySet(), Set.of()), () -> step(PipelineJournal.POST
                                        + String.join(" ", late.keySet()), List.of("--section=post-data", "--use-list=" + list), jobs));
                                more = true;
                            }
                        }
                        if (lanes.free() && !stopping) {
                            // the foreign keys that are ready, shared out over the free lanes, no table in two lanes
                            Map<String, String> ready = plan.ready(restored, built, lanes.busy(), true);
                            for (Set<String> group : plan.shareForeignKeys(List.copyOf(ready.keySet()), lanes.locked(), lanes.freeLanes())) {
                                Set<String> locks = new HashSet<>();
                                group.forEach(k -> locks.addAll(plan.tablesOf(k)));
                                Path list = writeList(lists, group.stream().map(ready::get).toList());
                                lanes.start(new RestoreLanes.Work(Set.of(), group, locks), () -> step(PipelineJournal.POST
                                        + String.join(" ", group), List.of("--section=post-data", "--use-list=" + list), 1));
                                more = true;
                            }
                        }
                        if (more) {
                            continue;
                        }
                        if (!lanes.idle() || !queue.isEmpty()) {
                            lanes.awaitAny(POLL_MS);
                        } else if (restored.size() == tables) {
                            return; // all in
                        } else if (!pause()) {
                            if (lastLook || stopping) {
                                return; // nothing more comes (or told to stop)
                            }
                            // the export half has sealed the delivery as it left: what the upload stage sent
                            // is known by the sealed list now, and is restored here rather than left
                            lastLook = true;
                        }
                    }
                } catch (InterruptedException | java.io.InterruptedIOException e) {
                    throw e;
                } catch (Exception e) {
                    // (a refused delivery, a failed copy): the steps under way end as they would, so what they did stays usable
                    lanes.drain();
                    throw e;
                }
            }
        }

        /** The next lane's tables: as they arrived, small ones together up to {@link #LANE_BYTES}, a big one alone. */
        private Set<String> batch(List<String> queue) throws IOException {
            Set<String> batch = new java.util.LinkedHashSet<>();
            long bytes = 0;
            while (!queue.isEmpty() && (batch.isEmpty() || bytes < LANE_BYTES)) {
                String id = queue.remove(0);
                batch.add(id);
                bytes += sizes.getOrDefault(id, 0L);
            }
            return batch;
        }

        private Path writeList(int[] lists, List<String> lines) throws IOException {
            Path list = journal.dir().resolve("data-" + (++lists[0]) + ".list");
            Files.write(list, lines, StandardCharsets.UTF_8);
            return list;
        }

        /**
         * Which indexes and keys may be built with their tables' data: from pg_restore's list of
         * the schema section and its verbose script of the post-data section (what each entry
         * depends on), both from the table of contents alone.
         */
        private PostDataPlan postDataPlan(Path objects, Path dump) throws IOException, InterruptedException {
            Path pre = journal.dir().resolve("pre-data.list");
            Path script = journal.dir().resolve("post-data.sql");
            String pgRestore = tools.path("pg_restore");
            ToolRuns.run(List.of(pgRestore, "--list", "--section=pre-data", "--use-list=" + objects, "--file=" + pre, dump.toString()), 10);
            ToolRuns.run(List.of(pgRestore, "--verbose", "--section=post-data", "--use-list=" + objects, "--file=" + script, dump.toString()), 10);
            Set<String> preData = new HashSet<>();
            for (String l : Files.readAllLines(pre, StandardCharsets.UTF_8)) {
                Matcher m = ENTRY_ID.matcher(l);
                if (m.find()) {
                    preData.add(m.group(1));
                }
            }
            PostDataPlan plan;
            try (var lines = Files.lines(script, StandardCharsets.UTF_8)) {
                // (only the comment lines matter: the statements are not kept)
                plan = PostDataPlan.of(Files.readAllLines(objects, StandardCharsets.UTF_8), preData,
                        lines.filter(l -> l.startsWith("-- ")).toList());
            }
            Files.deleteIfExists(script);
            return plan;
        }

        /** One piece's COPY, begun and ended in the journal. */
        private void piece(String file, TablePieces table) throws Exception {
            journal.note("begin " + PipelineJournal.PIECE + file);
            PieceLoad.load(ctx.job().destination(), Restore.settings(ctx.job(), true), table, file, PieceLoad.dumpDir(journal.dir()));
            journal.note("end " + PipelineJournal.PIECE + file);
        }

        /** One pg_restore, begun and ended in the journal. */
        private void step(String step, List<String> options, int jobs) throws Exception {
            List<String> args = new ArrayList<>();
            if (jobs > 1) {
                args.add("--jobs=" + jobs);
            }
            args.addAll(List.of("--exit-on-error", "--no-tablespaces", "--no-owner", "--no-password", "--verbose"));
            args.addAll(options);
            JobConfig.DatabaseEndpoint dst = ctx.job().destination();
            args.add("--dbname=" + ConnInfo.of(dst, dst.database(), passFiles.forRun(ctx.runId(), Half.IMPORT, ctx.job()),
                    Restore.settings(ctx.job(), true)));
            args.add(journal.dir().resolve(DeliveryFiles.DUMP).toString());
            journal.note("begin " + step);
            executor.execute(new ToolCommand(new ExecCommand(tools.path("pg_restore"), args, null, Long.MAX_VALUE, null, null, null,
                    false, LoggingLevel.DEBUG), ctx.runId(), "restore"));
            journal.note("end " + step);
        }

        /** The dump's files in the drop directory under their final names (the SFTP client renames a file once it is whole). */
        private List<String> arrived() throws IOException {
            Path dir = ctx.deliveryDir().resolve(DeliveryFiles.DUMP);
            List<String> names = new ArrayList<>();
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return names;
            }
            try (var files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (!name.startsWith(".")) {
                        names.add(DeliveryFiles.DUMP + "/" + name);
                    }
                }
            }
            names.sort(null);
            return names;
        }

        /**
         * Takes one piece, if it has arrived and the export half's SHA-256 of it is known: copied
         * into the pipeline's directory, hashed on the way, decompressed (zstd) once it matches.
         */
        private boolean take(String name) throws IOException, Refused {
            if (taken.contains(name)) {
                return true;
            }
            if (refused.contains(name)) {
                return false;
            }
            Path delivery = ctx.deliveryDir();
            Path file = delivery.resolve(name);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            String expected = expected(name);
            if (expected == null) {
                return false; // still on its way (or sent by the upload stage, whose list is not written yet)
            }
            List<String> problems = DeliveryTree.problems(delivery.getParent(), delivery);
            if (!problems.isEmpty()) {
                throw new Refused("the delivery holds what is refused: " + String.join("; ", problems));
            }
            Path copy = journal.dir().resolve(name);
            Files.createDirectories(copy.getParent());
            String sha = Sha256.copy(file, copy);
            if (!sha.equals(expected)) {
                Files.deleteIfExists(copy);
                String what = name + " in the drop directory is not what the export half sent";
                if (!name.startsWith(DeliveryFiles.DUMP + "/") || name.equals(TOC)) {
                    throw new Refused(what);
                }
                // one table's data left for the stages (the checksum stage has it sent again); the others go on
                runLog.warn(LOG, ctx.runId(), what + ": not restored before the delivery is complete");
                refused.add(name);
                return false;
            }
            if (Zstd.compressed(name)) {
                // (the compressed copy goes once decompressed)
                copy = copy.resolveSibling(Zstd.decompressedName(copy.getFileName().toString()));
                Zstd.decompress(journal.dir().resolve(name), copy);
            }
            journal.checked(name, sha);
            taken.add(name);
            Matcher m = DATA_FILE.matcher(copy.getFileName().toString());
            if (m.matches()) {
                sizes.put(m.group(1), Files.size(copy)); // (as sent: a lane's share of the work, roughly)
            }
            return true;
        }

        /** What the export half sent under the name: the SHA-256 computed while sending it, else its sealed list's. */
        private String expected(String name) throws IOException {
            String sent = earlyUpload.sentChecksum(ctx.runId(), name).orElse(null);
            if (sent != null) {
                return sent;
            }
            Path list = ctx.stagingDir().resolve(DeliveryFiles.CHECKSUMS);
            if (listed.isEmpty() && Files.isRegularFile(list) && Files.exists(ctx.stagingDir().resolve(DeliveryFiles.DONE))) {
                for (String l : Files.readAllLines(list, StandardCharsets.UTF_8)) {
                    String[] parts = l.split(" {2}", 2);
                    if (parts.length == 2) {
                        listed.put(parts[1], parts[0]);
                    }
                }
            }
            return listed.get(name);
        }

        /** Waits for more to arrive: false once told to stop, or once the export half has left the run (nothing more comes). */
        private boolean pause() throws InterruptedException {
            if (stopping || completing || !activeRuns.working(ctx.runId(), Half.EXPORT)) {
                return false;
            }
            Thread.sleep(POLL_MS);
            return !stopping;
        }

        /**
         * The delivery is complete: restores what has arrived (once loading data; before that,
         * stops after the step under way) and waits for it: a table's COPY and its indexes are
         * work the restore needs anyway. One still running after an hour is stopped (the restore
         * stage then starts again clean).
         */
        void finish() {
            // loading: every lane busy till the end beats lanes left idle behind the slowest one
            // while the rest waits for it (3 GB here: 17.7 s of that before the restore stage began)
            completing = true;
            if (!loading) {
                stopping = true;
            }
            if (await(60)) {
                return;
            }
            if (!stopping) {
                stopping = true; // no more lanes: the restore stage restores the rest
                runLog.info(LOG, ctx.runId(), "the restore begun while the delivery arrived is still going after an hour: "
                        + "it finishes the steps under way and leaves the rest to the restore stage");
                if (await(60)) {
                    return;
                }
            }
            runLog.warn(LOG, ctx.runId(), "the restore begun while the delivery arrived has not finished its step after an hour: stopping it");
            halt();
        }

        /** The run is cancelled, its half left or the dump is taken again: stops now (its pg_restore with it). */
        void halt() {
            stopping = true;
            future.cancel(true);
            if (!await(1)) {
                LOG.warnf("[%s] the restore begun while the delivery arrived did not stop within a minute", ctx.runId());
            }
        }

        private boolean await(long minutes) {
            try {
                return ended.await(minutes, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}

package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.DeliveryTree;
import io.pgcaravan.delivery.DeliverySignature;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.Sha256;
import io.pgcaravan.delivery.Zstd;
import io.pgcaravan.stage.io.FileTrees;
import io.pgcaravan.stage.pipeline.PipelineJournal;

import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.StageFailedException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The checksum stage: every file of the delivery has the SHA-256 the export half computed, and
 * the list itself has the SHA-256 the DONE marker holds. Names in the list are checked to stay
 * inside the delivery directory before anything is opened. Each file is copied into the run's work
 * directory and the copy is hashed (caravan.import.private-copy): the SFTP account owns the files in the
 * drop directory and could change one after it was checked; the copy, which only the app can
 * write, is what the later stages read, so what is restored is what was checked.
 */
@ApplicationScoped
@Named("checksum")
public class Checksum {

    @Inject
    RunContexts contexts;
    @Inject
    io.pgcaravan.work.DeliveryKeys keys;

    public void verify(Exchange exchange) throws IOException {
        RunContext ctx = contexts.of(exchange);
        Path dir = ctx.deliveryDir();
        Resend.forgetDamaged(ctx.workDir());
        requireTrusted(ctx);
        List<String> problems = new ArrayList<>();
        List<String> damaged = new ArrayList<>();

        String done = DeliveryTree.read(dir.resolve(DeliveryFiles.DONE), DeliveryFiles.MAX_MARKER).trim();
        Path copy = ctx.workDir().resolve(RunContext.VERIFIED);
        // a checked copy an earlier attempt completed for this very marker (it stopped before the
        // stage was recorded done, and the drop directory no longer holds the dump): checked again as it is
        byte[] copied = CheckedCopy.complete(copy, done);
        // read once: the list that is hashed is the list that is followed
        byte[] list = copied != null ? copied : DeliveryTree.readBytes(dir.resolve(DeliveryFiles.CHECKSUMS), DeliveryFiles.MAX_LIST);
        // zstd-compressed table files are restored from a decompressed copy whatever
        // caravan.import.private-copy says: the later stages read that copy (RunContexts)
        boolean zstdDelivery = new String(list, java.nio.charset.StandardCharsets.UTF_8).lines()
                .anyMatch(l -> l.contains("  ") && Zstd.compressed(l.split(" {2}", 2)[1]));
        boolean copying = (ctx.privateCopy() || zstdDelivery) && copied == null;
        Path source = copied != null ? copy : dir;
        if (copied == null) {
            // the copy the later stages read: made anew from what is checked now, or none at all
            FileTrees.delete(copy);
        }
        if (copying) {
            Files.createDirectory(ctx.workDirMade().resolve(RunContext.VERIFIED), CheckedCopy.OWNER_ONLY);
        }
        String listSum = Sha256.of(list);
        if (!done.startsWith(listSum)) {
            problems.add(DeliveryFiles.CHECKSUMS + ": SHA-256 " + listSum + " differs from the DONE marker's");
        }
        java.util.Optional<String> unsigned = DeliverySignature.problem(done, keys.accepted(), ctx.runId(), ctx.jobName(), listSum);
        if (unsigned.isPresent()) {
            Resend.damaged(ctx.workDirMade(), List.of()); // a marker or list not the export half's: all of it again
            throw StageFailedException.verdict("delivery " + ctx.runId() + " is refused, nothing of it is restored: " + unsigned.get()
                    + " (caravan.delivery.key-file must be the same file on both halves)");
        }
        if (copying) {
            // (what the pipelined restore copied already is moved into the copy, not copied again)
            CheckedCopy.requireRoom(ctx, dir, copy, FileTrees.sizeOrZero(PipelineJournal.of(ctx.workDir()).dir()));
        }
        PipelineJournal pipeline = PipelineJournal.of(ctx.workDir());
        java.util.Map<String, String> pieces = copying ? pipeline.pieces() : java.util.Map.of();
        int adopted = 0;
        int number = 0;
        List<String> listed = new ArrayList<>();
        List<String[]> toCheck = new ArrayList<>(); // {name, expected}
        List<Path[]> files = new ArrayList<>();     // {file, its copy or null}
        try {
            for (String line : new String(list, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.split(" {2}", 2);
                if (parts.length != 2 || !parts[0].matches("[0-9a-f]{64}")) {
                    // (never the line itself: whatever the file holds must not reach an error, a log or a report)
                    problems.add("line " + number + " of " + DeliveryFiles.CHECKSUMS + " is not \"<sha-256>  <name>\"");
                    continue;
                }
                boolean zstd = Zstd.compressed(parts[1]);
                Path file = inside(source, parts[1]);
                if (file != null && zstd && copied != null) {
                    // a complete copy holds such a file decompressed: it was hashed as delivered and
                    // decompressed in full before the copy's list was written, in a directory only
                    // the app writes, so its presence is what is checked again
                    if (!Files.isRegularFile(inside(source, Zstd.decompressedName(parts[1])), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        problems.add(parts[1] + ": missing from the checked copy");
                        damaged.add(parts[1]);
                    }
                    listed.add(parts[1]);
                } else if (file != null && parts[0].equals(pieces.get(parts[1])) && adopt(pipeline, copy, parts[1])) {
                    // the pipelined restore's copy, made and hashed as it arrived: it is this one
                    adopted++;
                    listed.add(parts[1]);
                } else if (file == null) {
                    problems.add(parts[1] + ": not a file name inside the delivery, refused");
                } else if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    problems.add(parts[1] + ": missing");
                    damaged.add(parts[1]);
                } else {
                    toCheck.add(new String[]{parts[1], parts[0]});
                    files.add(new Path[]{file, copying ? CheckedCopy.made(copy, source.relativize(file)) : null});
                    listed.add(source.relativize(file).toString());
                }
            }
            List<String> actual = FileHashes.of(files);
            for (int i = 0; i < toCheck.size(); i++) {
                if (!actual.get(i).equals(toCheck.get(i)[1])) {
                    problems.add(toCheck.get(i)[0] + ": SHA-256 mismatch, expected " + toCheck.get(i)[1] + ", found " + actual.get(i));
                    damaged.add(toCheck.get(i)[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (copying) {
                FileTrees.delete(copy); // a full disk leaves no half copy behind
            }
            throw e;
        }
        int checked = toCheck.size() + adopted;
        if (!problems.isEmpty()) {
            if (copying || copied != null) {
                FileTrees.delete(copy);
            }
            // what a resume sends again from the export half's staging copy (a list or marker at
            // fault, or a malformed line: everything)
            boolean onlyFiles = damaged.size() == problems.size();
            Resend.damaged(ctx.workDirMade(), onlyFiles ? damaged : List.of());
            throw new StageFailedException("delivery " + ctx.runId() + " is damaged: " + String.join("; ", problems));
        }
        if (copying) {
            CheckedCopy.decompress(ctx, copy, toCheck);
            // last: a copy with its list is a complete one (see completeCopy)
            Files.write(copy.resolve(DeliveryFiles.CHECKSUMS), list, java.nio.file.StandardOpenOption.CREATE_NEW);
            pipeline.dropPieces();
        }
        if (ctx.privateCopy()) {
            moved(ctx, listed);
        }
        exchange.setProperty(StageDetail.PROPERTY, checked + " files verified" + (copying || copied != null ? " and copied into the work directory" : "")
                + (adopted > 0 ? " (" + adopted + " as they arrived, for the pipelined restore)" : ""));
    }

    /**
     * Takes the pipelined restore's copy of a listed file (its SHA-256 as the list says) into the
     * checked copy, decompressed as it lies there; false if it is not there.
     */
    private static boolean adopt(PipelineJournal pipeline, Path copy, String name) throws IOException {
        String stored = Zstd.compressed(name) ? Zstd.decompressedName(name) : name;
        Path piece = inside(pipeline.dir(), stored);
        if (piece == null || !Files.isRegularFile(piece, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Files.move(piece, CheckedCopy.made(copy, Path.of(stored)), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /**
     * The checked files are the work directory's now: the dump and the roles leave the drop
     * directory (the manifest, the list and the marker stay, for the export half and whoever looks),
     * so it holds the dump once, not twice. Never through a link (DeliveryTree#deleteInside); best
     * effort: what the app may not delete stays for the retention.
     */
    private static void moved(RunContext ctx, List<String> listed) {
        List<String> names = new ArrayList<>(listed.stream().filter(n -> !n.equals(DeliveryFiles.MANIFEST)).toList());
        names.add(DeliveryFiles.DUMP); // the directory, once empty (directory format)
        try {
            DeliveryTree.deleteInside(ctx.deliveryDir().getParent(), ctx.runId(), names);
        } catch (IOException e) {
            // (left for the retention)
        }
    }

    /**
     * Before a stage that reads the checked delivery: the private copy must be there (a resume
     * checks the delivery again if it is not), or, reading the drop directory itself, the delivery
     * must still hold nothing a link could redirect.
     */
    public static void requireVerified(RunContext ctx) throws IOException {
        if (!ctx.privateCopy()) {
            requireTrusted(ctx);
        } else if (!Files.isRegularFile(ctx.verifiedDir().resolve(DeliveryFiles.CHECKSUMS), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw StageFailedException.verdict("the checked copy of delivery " + ctx.runId() + " is gone from " + ctx.verifiedDir()
                    + ": a resume checks the delivery again");
        }
    }

    /**
     * Stops the run if its delivery holds a link, a special file or a hard-linked file (see
     * DeliveryTree): checked when the delivery is accepted, here, and again before the stages
     * that hand the dump to pg_restore (which would follow a link swapped in since).
     */
    public static void requireTrusted(RunContext ctx) throws IOException {
        Path dir = ctx.deliveryDir();
        List<String> problems = DeliveryTree.problems(dir.getParent(), dir);
        if (!problems.isEmpty()) {
            throw StageFailedException.verdict("delivery " + ctx.runId() + " is refused, nothing of it is read: " + String.join("; ", problems));
        }
    }

    /** The file a listed name refers to, or null when the name would leave the delivery directory. */
    static Path inside(Path dir, String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("\0")) {
            return null;
        }
        Path resolved = dir.resolve(name).normalize();
        return resolved.startsWith(dir.normalize()) && !resolved.equals(dir.normalize()) ? resolved : null;
    }
}

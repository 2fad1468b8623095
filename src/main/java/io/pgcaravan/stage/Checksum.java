package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.DeliveryTree;
import io.pgcaravan.delivery.DeliverySignature;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.Sha256;
import io.pgcaravan.delivery.Zstd;
import io.pgcaravan.stage.io.FileTrees;

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
 * directory as it is hashed (caravan.import.private-copy): the SFTP account owns the files in the
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
        Path copy = ctx.verifiedDir();
        // a checked copy an earlier attempt completed for this very marker (it stopped before the
        // stage was recorded done, and the drop directory no longer holds the dump): checked again as it is
        byte[] copied = completeCopy(ctx, done);
        boolean copying = ctx.privateCopy() && copied == null;
        Path source = copied != null ? copy : dir;
        if (copying) {
            // the copy the later stages read (caravan.import.private-copy): made anew from what is checked now
            FileTrees.delete(copy);
            Files.createDirectory(ctx.workDirMade().resolve(RunContext.VERIFIED), OWNER_ONLY);
        }
        // read once: the list that is hashed is the list that is followed
        byte[] list = copied != null ? copied : DeliveryTree.readBytes(dir.resolve(DeliveryFiles.CHECKSUMS), DeliveryFiles.MAX_LIST);
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
            roomForTheCopy(ctx, dir);
        }
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
                if (zstd && !ctx.privateCopy()) {
                    throw StageFailedException.verdict("delivery " + ctx.runId() + " has zstd-compressed table files, which only a checked copy"
                            + " can restore: set caravan.import.private-copy=true here, or dump.zstd-level=0 for the job on the export half");
                }
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
                } else if (file == null) {
                    problems.add(parts[1] + ": not a file name inside the delivery, refused");
                } else if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    problems.add(parts[1] + ": missing");
                    damaged.add(parts[1]);
                } else {
                    toCheck.add(new String[]{parts[1], parts[0]});
                    // (a zstd file's copy has the decompressed name: FileHashes decompresses it)
                    String copyName = zstd ? Zstd.decompressedName(parts[1]) : source.relativize(file).toString();
                    files.add(new Path[]{file, copying ? made(copy, Path.of(copyName)) : null});
                    listed.add(source.relativize(file).toString());
                }
            }
            List<String> actual = FileHashes.of(files);
            for (int i = 0; i < toCheck.size(); i++) {
                boolean undecompressed = actual.get(i).startsWith(Sha256.UNDECOMPRESSED);
                String found = undecompressed ? actual.get(i).substring(Sha256.UNDECOMPRESSED.length()) : actual.get(i);
                if (!found.equals(toCheck.get(i)[1])) {
                    problems.add(toCheck.get(i)[0] + ": SHA-256 mismatch, expected " + toCheck.get(i)[1] + ", found " + found
                            + (undecompressed ? " (nor does it decompress)" : ""));
                    damaged.add(toCheck.get(i)[0]);
                } else if (undecompressed) {
                    problems.add(toCheck.get(i)[0] + ": does not decompress (zstd), although its SHA-256 is the one listed");
                    damaged.add(toCheck.get(i)[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (copying) {
                FileTrees.delete(copy); // a full disk leaves no half copy behind
            }
            throw e;
        }
        int checked = toCheck.size();
        if (!problems.isEmpty()) {
            if (ctx.privateCopy()) {
                FileTrees.delete(copy);
            }
            // what a resume sends again from the export half's staging copy (a list or marker at
            // fault, or a malformed line: everything)
            boolean onlyFiles = damaged.size() == problems.size();
            Resend.damaged(ctx.workDirMade(), onlyFiles ? damaged : List.of());
            throw new StageFailedException("delivery " + ctx.runId() + " is damaged: " + String.join("; ", problems));
        }
        if (copying) {
            // last: a copy with its list is a complete one (see completeCopy)
            Files.write(copy.resolve(DeliveryFiles.CHECKSUMS), list, java.nio.file.StandardOpenOption.CREATE_NEW);
        }
        if (ctx.privateCopy()) {
            moved(ctx, listed);
        }
        exchange.setProperty(StageDetail.PROPERTY, checked + " files verified" + (ctx.privateCopy() ? " and copied into the work directory" : ""));
    }

    /**
     * The checked copy needs the delivery's size in the work directory: said before a byte is
     * copied, rather than a full disk half-way through (retried as any other failure: space may be freed).
     */
    private static void roomForTheCopy(RunContext ctx, Path dir) throws IOException {
        long needed = FileTrees.sizeOrZero(dir);
        Path dump = dir.resolve(DeliveryFiles.DUMP);
        if (Files.isDirectory(dump, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var files = Files.newDirectoryStream(dump, "*" + Zstd.SUFFIX)) {
                for (Path f : files) { // decompressed, such a file takes several times its size (an estimate)
                    needed += Files.size(f) * (Zstd.EXPANSION_ESTIMATE - 1);
                }
            }
        }
        long free = Files.getFileStore(ctx.verifiedDir()).getUsableSpace();
        if (free < needed) {
            FileTrees.delete(ctx.verifiedDir());
            throw new StageFailedException("the checked copy of delivery " + ctx.runId() + " needs " + FileTrees.humanBytes(needed)
                    + " in " + ctx.workDir().getParent() + ", which has " + FileTrees.humanBytes(free)
                    + " free: free some space there (caravan.import.private-copy)");
        }
    }

    /** The list of a complete checked copy made for this DONE marker, or null if there is none. */
    private static byte[] completeCopy(RunContext ctx, String done) throws IOException {
        Path list = ctx.verifiedDir().resolve(DeliveryFiles.CHECKSUMS);
        if (!ctx.privateCopy() || !Files.isRegularFile(list, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(list);
        return done.startsWith(Sha256.of(bytes)) ? bytes : null;
    }

    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    /** The copy's name for a delivery file, its directories made (owner only). */
    private static Path made(Path copy, Path relative) throws IOException {
        Path to = copy.resolve(relative.toString());
        Path parent = to.getParent();
        if (!Files.isDirectory(parent, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(parent, OWNER_ONLY);
        }
        return to;
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

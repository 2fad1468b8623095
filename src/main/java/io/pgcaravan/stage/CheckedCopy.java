package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.delivery.Sha256;
import io.pgcaravan.delivery.Zstd;
import io.pgcaravan.stage.io.FileTrees;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.StageFailedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The checksum stage's copy of a delivery in the app's own work directory, which the later stages
 * read (caravan.import.private-copy, and always for zstd-compressed table files): its room, its
 * directories, its decompression and when an earlier attempt's copy is complete.
 */
final class CheckedCopy {

    private CheckedCopy() {
    }

    /**
     * The checked copy's zstd files, now that each is known to be what the export half sent,
     * decompressed in place (the later stages read them under pg_dump's names), on every core.
     */
    static void decompress(RunContext ctx, Path copy, List<String[]> checked) throws IOException {
        List<Path[]> files = new ArrayList<>();
        for (String[] f : checked) {
            if (Zstd.compressed(f[0])) {
                files.add(new Path[]{copy.resolve(f[0]), copy.resolve(Zstd.decompressedName(f[0]))});
            }
        }
        try {
            FileHashes.each(files, f -> Zstd.decompress(f[0], f[1]));
        } catch (IOException e) {
            FileTrees.delete(copy);
            // its SHA-256 is the export half's: sending it again would not help
            throw StageFailedException.verdict("delivery " + ctx.runId() + ": a table file has the SHA-256 the export half listed but does not"
                    + " decompress (" + e.getMessage() + "): start a new run");
        }
    }

    /**
     * The checked copy needs the delivery's size in the work directory: said before a byte is
     * copied, rather than a full disk half-way through (retried as any other failure: space may be freed).
     * {@code there}: bytes of it the work directory holds already (the pipelined restore's pieces, moved in).
     */
    static void requireRoom(RunContext ctx, Path dir, Path copy, long there) throws IOException {
        long needed = -there;
        needed += FileTrees.sizeOrZero(dir);
        Path dump = dir.resolve(DeliveryFiles.DUMP);
        if (Files.isDirectory(dump, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var files = Files.newDirectoryStream(dump, "*" + Zstd.SUFFIX)) {
                for (Path f : files) { // and decompressed beside it, several times its size (an estimate)
                    needed += Files.size(f) * Zstd.EXPANSION_ESTIMATE;
                }
            }
        }
        long free = Files.getFileStore(copy).getUsableSpace();
        if (free < needed) {
            FileTrees.delete(copy);
            throw new StageFailedException("the checked copy of delivery " + ctx.runId() + " needs " + FileTrees.humanBytes(needed)
                    + " in " + ctx.workDir().getParent() + ", which has " + FileTrees.humanBytes(free)
                    + " free: free some space there (caravan.import.private-copy)");
        }
    }

    /** The list of a complete checked copy made for this DONE marker, or null if there is none. */
    static byte[] complete(Path copy, String done) throws IOException {
        Path list = copy.resolve(DeliveryFiles.CHECKSUMS);
        if (!Files.isRegularFile(list, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(list);
        return done.startsWith(Sha256.of(bytes)) ? bytes : null;
    }

    static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    /** The copy's name for a delivery file, its directories made (owner only). */
    static Path made(Path copy, Path relative) throws IOException {
        Path to = copy.resolve(relative.toString());
        Path parent = to.getParent();
        if (!Files.isDirectory(parent, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(parent, OWNER_ONLY);
        }
        return to;
    }
}

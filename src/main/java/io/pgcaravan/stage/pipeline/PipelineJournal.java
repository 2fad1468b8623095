package io.pgcaravan.stage.pipeline;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.stage.io.FileTrees;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a pipelined restore did, kept in the run's work directory ({@code <work>/pipeline/}, which
 * only the app writes), for the stages that come after it and for a DBA to read:
 * <ul>
 * <li>{@code sha256}: each piece of the delivery it took, in sha256sum's format, appended once its
 * copy here hashed to what the export half sent (the copies lie beside it, zstd files decompressed);</li>
 * <li>{@code journal}: {@code prepared}, then each pg_restore as {@code begin ...} before it starts
 * and {@code end ...} once it exited 0 ({@code pre-data}, {@code data <dump ids>[ post <dump ids>]}:
 * tables' data, with the indexes and constraints built right after it; {@code post <dump ids>}:
 * foreign keys; {@code piece <file>}: a piece of a table in pieces, one COPY).</li>
 * </ul>
 * A restore the stages may build on is one whose every begun step ended and whose every piece the
 * signed checksum list names with the same SHA-256: then the restore stage restores only what is
 * left. Anything else (a kill in the middle of a pg_restore, a piece the list does not name as it
 * was taken) and the restore starts again in a clean database. Lines are forced to disk as they are
 * written: a journal that says "end" is one the database's commit preceded.
 */
public final class PipelineJournal {

    /** The directory's name in the run's work directory. */
    public static final String DIR = "pipeline";
    private static final String PIECES = DeliveryFiles.CHECKSUMS;
    private static final String JOURNAL = "journal";
    static final String PREPARED = "prepared";
    private static final String PREPARED_DETAIL = "prepared.detail";
    static final String PRE_DATA = "pre-data";
    static final String DATA = "data ";
    /** After a step's TABLE DATA ids: the indexes and constraints built in the same pg_restore. */
    public static final String POST = "post ";
    /** A piece of a table in pieces ({@code piece <file>}), loaded by a COPY of its own. */
    public static final String PIECE = "piece ";
    /** The restore stage's restore of what the pipeline left: begun, it is not built on again. */
    public static final String REST = "rest";

    private final Path dir;

    private PipelineJournal(Path dir) {
        this.dir = dir;
    }

    public static PipelineJournal of(Path workDir) {
        return new PipelineJournal(workDir.resolve(DIR));
    }

    /** Where the pieces lie (and the journal). */
    public Path dir() {
        return dir;
    }

    /** Whether a pipelined restore ran for this run (since its last dump). */
    public boolean exists() {
        return Files.isRegularFile(dir.resolve(JOURNAL), LinkOption.NOFOLLOW_LINKS);
    }

    /** A new dump: what an earlier one's pipeline kept goes. */
    public void reset() throws IOException {
        FileTrees.delete(dir);
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createFile(dir.resolve(JOURNAL));
        Files.createFile(dir.resolve(PIECES));
    }

    /** A piece taken: its copy here is what the export half sent. */
    public void checked(String name, String sha256) throws IOException {
        append(PIECES, sha256 + "  " + name);
    }

    /** What the prepare stage's work done here did (its detail, for the stage to show), then the journal's line. */
    public void prepared(String detail) throws IOException {
        Files.writeString(dir.resolve(PREPARED_DETAIL), detail, StandardCharsets.UTF_8);
        note(PREPARED);
    }

    /** The prepare stage's detail as the pipeline's prepare left it. */
    public String preparedDetail() throws IOException {
        Path f = dir.resolve(PREPARED_DETAIL);
        return Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }

    public void note(String line) throws IOException {
        append(JOURNAL, line);
    }

    private synchronized void append(String file, String line) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                LinkOption.NOFOLLOW_LINKS)) {
            ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
    }

    /** The pieces taken, by delivery name, with their SHA-256. */
    public Map<String, String> pieces() throws IOException {
        Map<String, String> pieces = new LinkedHashMap<>();
        if (Files.isRegularFile(dir.resolve(PIECES), LinkOption.NOFOLLOW_LINKS)) {
            for (String l : Files.readAllLines(dir.resolve(PIECES), StandardCharsets.UTF_8)) {
                String[] parts = l.split(" {2}", 2);
                if (parts.length == 2) {
                    pieces.put(parts[1], parts[0]);
                }
            }
        }
        return pieces;
    }

    private List<String> lines() throws IOException {
        return exists() ? Files.readAllLines(dir.resolve(JOURNAL), StandardCharsets.UTF_8) : List.of();
    }

    public boolean prepared() throws IOException {
        return lines().contains(PREPARED);
    }

    /** Whether the schema (pre-data) was restored. */
    private boolean schemaRestored() throws IOException {
        return lines().contains("end " + PRE_DATA);
    }

    /** Every pg_restore begun exited 0. */
    public boolean clean() throws IOException {
        List<String> begun = new ArrayList<>();
        List<String> ended = new ArrayList<>();
        for (String l : lines()) {
            if (l.startsWith("begin ")) {
                begun.add(l.substring(6));
            } else if (l.startsWith("end ")) {
                ended.add(l.substring(4));
            }
        }
        return ended.containsAll(begun);
    }

    /** The dump ids of the TABLE DATA entries restored. */
    public Set<String> restoredData() throws IOException {
        return restored(false);
    }

    /** The dump ids of the indexes and constraints built with their tables' data ({@link PostDataPlan}). */
    public Set<String> restoredPost() throws IOException {
        return restored(true);
    }

    /** The files of the pieces loaded (tables in pieces). */
    public Set<String> restoredPieces() throws IOException {
        Set<String> files = new TreeSet<>();
        for (String l : lines()) {
            if (l.startsWith("end " + PIECE)) {
                files.add(l.substring(4 + PIECE.length()).strip());
            }
        }
        return files;
    }

    /** A step's line: {@code data <ids>[ post <ids>]}, or {@code post <ids>} (foreign keys). */
    private Set<String> restored(boolean post) throws IOException {
        Set<String> ids = new TreeSet<>();
        for (String l : lines()) {
            String part = null;
            if (l.startsWith("end " + DATA)) {
                String[] parts = l.substring(4 + DATA.length()).split(" " + POST, 2);
                part = post ? parts.length == 2 ? parts[1] : null : parts[0];
            } else if (post && l.startsWith("end " + POST)) {
                part = l.substring(4 + POST.length());
            }
            if (part != null && !part.isBlank()) {
                ids.addAll(List.of(part.strip().split(" ")));
            }
        }
        return ids;
    }

    /** Whether every piece taken is in the signed list ({@code sha256} of the checked copy) with the SHA-256 it had. */
    public boolean consistentWith(String signedList) throws IOException {
        Set<String> lines = new java.util.HashSet<>(signedList.lines().toList());
        return pieces().entrySet().stream().allMatch(e -> lines.contains(e.getValue() + "  " + e.getKey()));
    }

    /**
     * What the later stages may build on: a schema restored, every step ended, every piece as the
     * signed list says; the restore stage's own restore of the rest not begun yet.
     */
    public boolean buildable(String signedList) throws IOException {
        return schemaRestored() && clean() && !lines().contains("begin " + REST) && consistentWith(signedList);
    }

    /** The copies not taken over by the checked copy go (the roles' password hashes among them); the record stays. */
    public void dropPieces() throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (!name.equals(JOURNAL) && !name.equals(PIECES) && !name.equals(PREPARED_DETAIL)) {
                    FileTrees.delete(p);
                }
            }
        }
    }
}

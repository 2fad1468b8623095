package io.pgcaravan.stage.dump;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Which files under a directory some process on this machine holds open, read from /proc. A
 * file pg_dump has closed is complete: it never opens one of its data files twice.
 */
public final class OpenFiles {

    private static final Path PROC = Path.of("/proc");

    private OpenFiles() {
    }

    private static final String SELF = Long.toString(ProcessHandle.current().pid());

    /** Files this process writes (PieceDump): they count as open, though /proc shows this process's files as its readers' too. */
    private static final Set<Path> WRITING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** This process writes the file ({@code true}) or has closed it. */
    static void writing(Path file, boolean open) {
        Path p = file.toAbsolutePath().normalize();
        if (open) {
            WRITING.add(p);
        } else {
            WRITING.remove(p);
        }
    }

    /** Files under {@code dir} that another process holds open (this one's own readers do not count), or this one writes. */
    static Set<Path> under(Path dir) {
        // /proc gives the files' real paths: a staging directory reached through a link must
        // compare as its real path too, or nothing would ever look open
        Path base = real(dir);
        Set<Path> open = new HashSet<>();
        for (Path w : WRITING) {
            Path r = real(w);
            if (r.startsWith(base)) {
                open.add(r);
            }
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC,
                p -> p.getFileName().toString().matches("\\d+") && !p.getFileName().toString().equals(SELF))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            Path target = Files.readSymbolicLink(fd);
                            if (target.startsWith(base)) {
                                open.add(target);
                            }
                        } catch (IOException e) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException e) {
                    // gone meanwhile, or another user's
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + PROC + ": " + e.getMessage(), e);
        }
        return open;
    }

    /** Whether another process holds this file open. */
    static boolean heldByOthers(Path file) {
        return under(file.getParent()).contains(real(file));
    }

    /** The path as /proc names it: links resolved (as far as it exists). */
    static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize(); // gone meanwhile
        }
    }

    /** Whether open-file information is available here (Linux). */
    static boolean supported() {
        return Files.isDirectory(PROC.resolve("self/fd"));
    }
}

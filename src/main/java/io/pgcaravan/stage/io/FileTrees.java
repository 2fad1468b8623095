package io.pgcaravan.stage.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Small helpers for the dump, which is a file (custom format) or a directory (directory format). */
public final class FileTrees {

    private FileTrees() {
    }

    public static void delete(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Regular files under root (or root itself), as sorted paths relative to base. */
    public static List<Path> files(Path base, Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(base::relativize).sorted().toList();
        }
    }

    public static long size(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            long total = 0;
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }

    /** The size so far of something being written (0 while it is not there yet or moves). */
    public static long sizeOrZero(Path path) {
        try {
            return Files.exists(path) ? size(path) : 0;
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    public static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}

package io.pgcaravan.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A delivery in the drop directory as the import half may trust it: the drop directory is a
 * trust boundary (anything an SFTP account can do, it can do there), so a delivery is read only
 * if it is a real directory directly in the drop directory, holding nothing but real directories
 * and regular files with one link each: no symbolic links (which would make the app read or
 * write outside), no special files, no hard links to files elsewhere. Its files are opened
 * without following links (O_NOFOLLOW) all the same, since a file can be swapped between the
 * check and the read, and their content never appears in an error.
 */
public final class DeliveryTree {

    private DeliveryTree() {
    }

    /** What makes the delivery untrustworthy, one line each; empty if nothing does. */
    public static List<String> problems(Path dropDir, Path delivery) throws IOException {
        List<String> out = new ArrayList<>();
        Path drop = dropDir.toAbsolutePath().normalize();
        Path dir = delivery.toAbsolutePath().normalize();
        if (!drop.equals(dir.getParent())) {
            out.add(delivery.getFileName() + ": not a directory directly in the drop directory");
            return out;
        }
        BasicFileAttributes own = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (own.isSymbolicLink() || !own.isDirectory()) {
            out.add(delivery.getFileName() + ": the delivery is a " + kind(own) + ", not a directory");
            return out;
        }
        inspect(dir, dir, out);
        return out;
    }

    /**
     * Every entry under {@code at}, never through a link. An entry gone between the listing and
     * the look at it (a file arriving is renamed from its temporary name) is nothing to read:
     * Files.walk would fail on it instead.
     */
    private static void inspect(Path dir, Path at, List<String> out) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> list = Files.newDirectoryStream(at)) {
            list.forEach(entries::add);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        for (Path p : entries) {
            BasicFileAttributes a;
            long links;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                links = a.isRegularFile() ? links(p) : 1;
            } catch (java.nio.file.NoSuchFileException e) {
                continue;
            }
            String name = dir.relativize(p).toString();
            if (a.isSymbolicLink() || a.isOther()) {
                out.add(name + ": a " + kind(a) + ", which a delivery may not hold");
            } else if (a.isRegularFile() && links > 1) {
                out.add(name + ": a file with " + links + " links (a hard link to a file elsewhere?), which a delivery may not hold");
            } else if (a.isDirectory()) {
                inspect(dir, p, out);
            }
        }
    }

    /**
     * Deletes entries of a delivery by their names relative to it (files, or directories once
     * empty), each directory on the way opened relative to the one before it and never through a
     * link (a SecureDirectoryStream: openat with O_NOFOLLOW), so that nothing the SFTP account swaps
     * in at any moment leads the deletion out of the drop directory. Entries that are not there, or
     * not empty, stay. Returns how many went; nothing where the platform has no secure streams.
     */
    public static int deleteInside(Path dropDir, String runId, java.util.Collection<String> names) throws IOException {
        int deleted = 0;
        try (java.nio.file.DirectoryStream<Path> drop = Files.newDirectoryStream(dropDir)) {
            if (!(drop instanceof java.nio.file.SecureDirectoryStream<Path> secureDrop)) {
                return 0;
            }
            try (java.nio.file.SecureDirectoryStream<Path> run = secureDrop.newDirectoryStream(Path.of(runId), LinkOption.NOFOLLOW_LINKS)) {
                for (String name : names) {
                    if (deleteUnder(run, Path.of(name))) {
                        deleted++;
                    }
                }
            }
        }
        return deleted;
    }

    private static boolean deleteUnder(java.nio.file.SecureDirectoryStream<Path> dir, Path relative) throws IOException {
        if (relative.getNameCount() > 1) {
            try (java.nio.file.SecureDirectoryStream<Path> sub = dir.newDirectoryStream(relative.getName(0), LinkOption.NOFOLLOW_LINKS)) {
                return deleteUnder(sub, relative.subpath(1, relative.getNameCount()));
            } catch (java.nio.file.FileSystemException e) {
                return false; // gone, or not a directory (a link included: ELOOP)
            }
        }
        try {
            BasicFileAttributes a = dir.getFileAttributeView(relative, java.nio.file.attribute.BasicFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes();
            if (a.isDirectory()) {
                dir.deleteDirectory(relative);
            } else {
                dir.deleteFile(relative);
            }
            return true;
        } catch (java.nio.file.NoSuchFileException | java.nio.file.DirectoryNotEmptyException e) {
            return false;
        }
    }

    /** A delivery file, opened without following a link. */
    public static InputStream open(Path file) throws IOException {
        return Channels.newInputStream(Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)));
    }

    /** A small delivery file's text (markers, lists, manifests), opened without following a link, refused above {@code max} bytes. */
    public static String read(Path file, int max) throws IOException {
        return new String(readBytes(file, max), StandardCharsets.UTF_8);
    }

    /** {@link #read}'s bytes, read once: what is hashed is what is parsed. */
    public static byte[] readBytes(Path file, int max) throws IOException {
        try (InputStream in = open(file)) {
            byte[] bytes = in.readNBytes(max + 1);
            if (bytes.length > max) {
                throw new IOException(file.getFileName() + " is larger than " + max + " bytes, more than a delivery's " + file.getFileName()
                        + " can be");
            }
            return bytes;
        }
    }

    private static long links(Path p) throws IOException {
        Object n = Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        return n instanceof Number number ? number.longValue() : 1;
    }

    private static String kind(BasicFileAttributes a) {
        return a.isSymbolicLink() ? "symbolic link" : a.isDirectory() ? "directory" : a.isRegularFile() ? "file" : "special file";
    }
}

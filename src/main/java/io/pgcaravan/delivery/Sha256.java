package io.pgcaravan.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a file, streamed. */
public final class Sha256 {

    private Sha256() {
    }

    /** SHA-256 of bytes in memory. */
    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every Java has it
        }
    }

    /**
     * Copies a delivery file (never through a link) to a new file of the app's own (0600, created
     * exclusively) and returns the SHA-256 of the bytes it wrote: what is checked is exactly what
     * the copy holds, whatever happens to the original afterwards.
     */
    public static String copy(Path file, Path to) throws IOException {
        MessageDigest digest = digest();
        byte[] buffer = new byte[1 << 20];
        java.util.Set<java.nio.file.OpenOption> create = java.util.Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE);
        try (InputStream in = DeliveryTree.open(file);
             java.io.OutputStream out = java.nio.channels.Channels.newOutputStream(java.nio.file.Files.newByteChannel(to, create,
                     java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))))) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String of(Path file) throws IOException {
        MessageDigest digest = digest();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = DeliveryTree.open(file)) { // never through a link
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}

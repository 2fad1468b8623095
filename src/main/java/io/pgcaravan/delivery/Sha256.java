package io.pgcaravan.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStream;

import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a file, streamed. */
public final class Sha256 {

    /** Before the hash of a file that was to be decompressed and did not (see {@link #copy(Path, Path, boolean)}). */
    public static final String UNDECOMPRESSED = "does not decompress, ";

    private Sha256() {
    }

    static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** SHA-256 of bytes in memory. */
    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static MessageDigest digest() {
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
        return copy(file, to, false);
    }

    /**
     * As {@link #copy(Path, Path)}; with {@code decompress} the file is zstd ({@link Zstd}) and the
     * copy holds what it decompresses to, while the SHA-256 is still that of the file as delivered.
     * A file that does not decompress is hashed to its end all the same and its hash returned
     * behind {@link #UNDECOMPRESSED}: it never equals a listed SHA-256, so the file counts as
     * damaged (which a resend repairs), whether the damage happened in transit or not.
     */
    public static String copy(Path file, Path to, boolean decompress) throws IOException {
        MessageDigest digest = digest();
        byte[] buffer = new byte[1 << 20];
        java.util.Set<java.nio.file.OpenOption> create = java.util.Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE);
        try (InputStream delivered = new DigestInputStream(DeliveryTree.open(file), digest);
             java.io.OutputStream out = java.nio.channels.Channels.newOutputStream(java.nio.file.Files.newByteChannel(to, create,
                     java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))))) {
            InputStream in = decompress ? new ZstdInputStream(delivered) : delivered;
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                }
            } catch (ZstdIOException e) {
                delivered.transferTo(java.io.OutputStream.nullOutputStream());
                return UNDECOMPRESSED + hex(digest);
            }
        }
        return hex(digest);
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

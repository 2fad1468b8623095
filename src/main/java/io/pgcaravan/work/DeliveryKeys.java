package io.pgcaravan.work;

import io.pgcaravan.config.CaravanConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The keys deliveries are signed and checked with (DeliverySignature): caravan.delivery.key-file,
 * or this process's own, made once in the data directory (0600); plus the keys still accepted
 * while one is rotated. Read when needed, so a rotated file takes effect without a restart.
 */
@ApplicationScoped
public class DeliveryKeys {

    static final String OWN = "delivery.key";

    @Inject
    CaravanConfig config;

    /** At start-up: a key that cannot be read (or made) stops the application, not the first delivery. */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) throws IOException {
        accepted();
    }

    /** The key this process signs with. */
    public synchronized byte[] signing() throws IOException {
        return read(config.delivery().keyFile().orElseGet(this::own));
    }

    /** Every key this process accepts a delivery signed with. */
    public List<byte[]> accepted() throws IOException {
        List<byte[]> keys = new ArrayList<>();
        keys.add(signing());
        for (Path p : config.delivery().acceptedKeyFiles().orElse(List.of())) {
            keys.add(read(p));
        }
        return keys;
    }

    private Path own() {
        Path file = config.dataDir().resolve(OWN);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.getParent());
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                Path tmp = file.resolveSibling(OWN + ".new");
                Files.deleteIfExists(tmp);
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, HexFormat.of().formatHex(key) + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("cannot make the delivery key " + file + ": " + e.getMessage(), e);
        }
    }

    /** A key file: 64 or more hex digits (as the local stack and `openssl rand -hex 32` write), else its bytes. */
    static byte[] read(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        String text = new String(raw, StandardCharsets.ISO_8859_1).strip();
        byte[] key = text.matches("([0-9a-fA-F]{2}){32,}") ? HexFormat.of().parseHex(text.toLowerCase()) : raw;
        if (key.length < 32) {
            throw new IOException("the delivery key " + file + " is shorter than 32 bytes");
        }
        return key;
    }
}

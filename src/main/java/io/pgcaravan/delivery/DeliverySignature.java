package io.pgcaravan.delivery;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A delivery's signature: an HMAC-SHA256, with a key both halves hold, of the run id, the job and
 * the SHA-256 of the checksum list (which holds the manifest's and every file's), written into
 * the DONE marker as its second line. Whoever can write to the drop directory but has not the
 * key cannot make a delivery the import half restores, nor move a signed one to another run or
 * job, nor change a byte of it.
 */
public final class DeliverySignature {

    static final String SCHEME = "hmac-sha256";
    private static final Pattern LINE = Pattern.compile("^" + SCHEME + " ([0-9a-f]{64}) key=([0-9a-f]{16})$", Pattern.MULTILINE);

    private DeliverySignature() {
    }

    /** The DONE marker's content: the list's SHA-256, then the signature. */
    public static String done(byte[] key, String runId, String job, String listSha256) {
        return listSha256 + "  " + DeliveryFiles.CHECKSUMS + "\n" + SCHEME + " " + mac(key, runId, job, listSha256) + " key=" + keyId(key) + "\n";
    }

    /**
     * Whether the marker holds a signature of this run, job and list by one of the keys. Empty
     * if so; otherwise why not (never the marker's content).
     */
    public static Optional<String> problem(String done, List<byte[]> keys, String runId, String job, String listSha256) {
        Matcher m = LINE.matcher(done);
        if (!m.find()) {
            return Optional.of("the delivery is not signed (its DONE marker has no " + SCHEME + " line)");
        }
        for (byte[] key : keys) {
            if (MessageDigest.isEqual(mac(key, runId, job, listSha256).getBytes(StandardCharsets.US_ASCII),
                    m.group(1).getBytes(StandardCharsets.US_ASCII))) {
                return Optional.empty();
            }
        }
        boolean known = keys.stream().anyMatch(k -> keyId(k).equals(m.group(2)));
        return Optional.of(known ? "the signature does not match this run, job and checksum list (signed for another, or changed since)"
                : "signed with a key this agent does not trust (key " + m.group(2) + ")");
    }

    static String mac(byte[] key, String runId, String job, String listSha256) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] sig = mac.doFinal(("pg-caravan delivery 1\n" + runId + "\n" + job + "\n" + listSha256 + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sig);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Which key signed: the first 8 bytes of the key's SHA-256 (names it without giving it away). */
    static String keyId(byte[] key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

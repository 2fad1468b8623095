package io.pgcaravan.it;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A DONE marker as the export half signs it, made by the tests themselves from the key the test
 * application made in its data directory: for deliveries the tests craft (damaged ones, hostile
 * ones) that must get past the signature to show what comes after it.
 */
final class Signed {

    private Signed() {
    }

    static String done(String runId, String job, String listSha256) throws Exception {
        return done(key(), runId, job, listSha256);
    }

    static String done(byte[] key, String runId, String job, String listSha256) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String sig = HexFormat.of().formatHex(mac.doFinal(("pg-caravan delivery 1\n" + runId + "\n" + job + "\n" + listSha256 + "\n")
                .getBytes(StandardCharsets.UTF_8)));
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 8);
        return listSha256 + "  sha256\n" + "hmac-sha256 " + sig + " key=" + id + "\n";
    }

    /** The key of the test application (made at its first delivery). */
    static byte[] key() throws Exception {
        return HexFormat.of().parseHex(Files.readString(StackResource.TEST_DATA.resolve("delivery.key")).strip());
    }
}

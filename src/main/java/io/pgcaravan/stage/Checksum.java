package io.pgcaravan.stage;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.work.RunContexts;
import io.pgcaravan.work.StageDetail;

import io.pgcaravan.delivery.Sha256;

import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.StageFailedException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The checksum stage: every file of the delivery has the SHA-256 the export half computed, and
 * the list itself has the SHA-256 the DONE marker holds. Names in the list are checked to stay
 * inside the delivery directory before anything is opened.
 */
@ApplicationScoped
@Named("checksum")
public class Checksum {

    @Inject
    RunContexts contexts;

    public void verify(Exchange exchange) throws IOException {
        RunContext ctx = contexts.of(exchange);
        Path dir = ctx.deliveryDir();
        List<String> problems = new ArrayList<>();

        String done = Files.readString(dir.resolve(DeliveryFiles.DONE)).trim();
        String listSum = Sha256.of(dir.resolve(DeliveryFiles.CHECKSUMS));
        if (!done.startsWith(listSum)) {
            problems.add(DeliveryFiles.CHECKSUMS + ": SHA-256 " + listSum + " differs from the DONE marker's " + done.split("\\s+")[0]);
        }
        int checked = 0;
        for (String line : Files.readAllLines(dir.resolve(DeliveryFiles.CHECKSUMS))) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.split(" {2}", 2);
            if (parts.length != 2 || !parts[0].matches("[0-9a-f]{64}")) {
                problems.add("malformed line in " + DeliveryFiles.CHECKSUMS + ": " + line);
                continue;
            }
            Path file = inside(dir, parts[1]);
            if (file == null) {
                problems.add(parts[1] + ": not a file name inside the delivery, refused");
            } else if (!Files.isRegularFile(file)) {
                problems.add(parts[1] + ": missing");
            } else {
                String actual = Sha256.of(file);
                if (!actual.equals(parts[0])) {
                    problems.add(parts[1] + ": SHA-256 mismatch, expected " + parts[0] + ", found " + actual);
                }
                checked++;
            }
        }
        if (!problems.isEmpty()) {
            throw new StageFailedException("delivery " + ctx.runId() + " is damaged: " + String.join("; ", problems));
        }
        exchange.setProperty(StageDetail.PROPERTY, checked + " files verified");
    }

    /** The file a listed name refers to, or null when the name would leave the delivery directory. */
    static Path inside(Path dir, String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("\0")) {
            return null;
        }
        Path resolved = dir.resolve(name).normalize();
        return resolved.startsWith(dir.normalize()) && !resolved.equals(dir.normalize()) ? resolved : null;
    }
}

package io.pgcaravan.stage;

import io.pgcaravan.run.RunContext;
import io.pgcaravan.run.Runs;
import io.pgcaravan.run.StageTracker;
import io.pgcaravan.sftp.SftpEndpoints;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The upload stage's bookkeeping: the checksum list and DONE marker that make a delivery, and the
 * order files go up in. DONE goes last, so the import half never sees an incomplete delivery.
 */
@ApplicationScoped
@Named("delivery")
public class Delivery {

    /** Header holding the job's SFTP endpoint URI, for the route's toD. */
    public static final String SFTP_URI = "CaravanSftpUri";

    @Inject
    Runs runs;
    @Inject
    SftpEndpoints sftpEndpoints;

    /**
     * Writes the SHA-256 list of the dump and manifest (sha256sum format, so `sha256sum -c sha256`
     * works on the intermediate host) and the DONE marker, which holds the list's own SHA-256.
     * Returns the files to upload, relative to the staging directory, DONE last.
     */
    public List<String> seal(Exchange exchange) throws IOException {
        RunContext ctx = runs.context(exchange);
        Path staging = ctx.stagingDir();
        List<Path> payload = new ArrayList<>(FileTrees.files(staging, staging.resolve(RunContext.DUMP)));
        payload.add(Path.of(RunContext.MANIFEST));
        StringBuilder list = new StringBuilder();
        long bytes = 0;
        for (Path p : payload) {
            list.append(Sha256.of(staging.resolve(p))).append("  ").append(p).append('\n');
            bytes += Files.size(staging.resolve(p));
        }
        Path checksums = staging.resolve(RunContext.CHECKSUMS);
        Files.writeString(checksums, list, StandardCharsets.UTF_8);
        Files.writeString(staging.resolve(RunContext.DONE), Sha256.of(checksums) + "  " + RunContext.CHECKSUMS + "\n");

        List<String> order = new ArrayList<>(payload.stream().map(Path::toString).toList());
        order.add(RunContext.CHECKSUMS);
        order.add(RunContext.DONE);
        exchange.setProperty(StageTracker.DETAIL, payload.size() + " files, " + FileTrees.humanBytes(bytes));
        return order;
    }

    /** Sets up one file of the delivery for the SFTP producer: the file itself and its remote name. */
    public void file(Exchange exchange) {
        RunContext ctx = runs.context(exchange);
        String relative = exchange.getMessage().getBody(String.class);
        exchange.getMessage().setHeader(Exchange.FILE_NAME, ctx.remoteDir() + "/" + relative);
        exchange.getMessage().setBody(ctx.stagingDir().resolve(relative).toFile());
        exchange.getMessage().setHeader(SFTP_URI, sftpEndpoints.uri(ctx.jobName()));
    }

    private RunContext context(Exchange exchange) {
        return runs.context(exchange);
    }
}

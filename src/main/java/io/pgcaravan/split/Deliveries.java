package io.pgcaravan.split;

import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.run.RunCommands;

import io.pgcaravan.store.RunStore;

import io.pgcaravan.delivery.SourceManifest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.track.RunHeaders;
import io.pgcaravan.store.RunRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

import io.pgcaravan.delivery.DeliveryTree;
import io.pgcaravan.delivery.DeliverySignature;
import io.pgcaravan.delivery.Sha256;
import java.nio.file.Files;
import java.util.List;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Decides whether a DONE marker in the drop directory starts an import: only for a well-formed
 * run id, only once (a delivery with a result is finished), and only for a job this process knows;
 * again for a run whose checksums failed once its export half has withdrawn the result and sent
 * the damaged files and a new marker.
 */
@ApplicationScoped
@Named("deliveries")
public class Deliveries {

    private static final Logger LOG = Logger.getLogger(Deliveries.class);

    @Inject
    io.pgcaravan.store.JobCatalog jobs;
    @Inject
    CaravanConfig config;
    @Inject
    RunCommands commands;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;
    @Inject
    io.pgcaravan.work.DeliveryKeys keys;
    @Inject
    Redelivery redelivery;

    public boolean accept(Exchange exchange) {
        // the file consumer names the marker relative to the drop directory: "<run-id>/DONE"
        String name = exchange.getMessage().getHeader(Exchange.FILE_NAME, String.class);
        String runId = Path.of(name).getParent() == null ? "" : Path.of(name).getParent().toString();
        if (!RunHeaders.RUN_ID_FORMAT.matcher(runId).matches()) {
            LOG.warnf("ignoring %s in the drop directory: not a run's delivery", name);
            return false;
        }
        // (the run may not be known here yet: a delivery from another process's export half)
        Path delivery = config.importHalf().dropDir().toAbsolutePath().normalize().resolve(runId);
        if (Files.exists(delivery.resolve(io.pgcaravan.delivery.DeliveryFiles.RESULT))) {
            return false; // imported before
        }
        Optional<RunRecord> run = store.find(runId);
        if (run.isEmpty()) {
            List<String> untrusted = problems(delivery);
            if (!untrusted.isEmpty()) {
                // nothing in it is read, whatever run it claims to be (a run this process knows goes
                // on to its checksum stage, which fails it, saying why)
                refused(runId, String.join("; ", untrusted));
                return false;
            }
            Optional<SourceManifest> manifest = manifest(delivery);
            if (manifest.isEmpty() || !runId.equals(manifest.get().runId())
                    || !jobs.contains(manifest.get().job())) {
                LOG.warnf("ignoring delivery %s: its manifest is unreadable, names another run or a job not configured here", runId);
                return false;
            }
            Optional<String> unsigned = signature(delivery, runId, manifest.get().job()).or(() -> listed(delivery));
            if (unsigned.isPresent()) {
                // whoever can write to the drop directory cannot start a run: the delivery is left as it is
                refused(runId, unsigned.get());
                return false;
            }
            try {
                // (a manifest may name no source: it is then the checksum stage's to refuse, with its reason)
                commands.adopt(runId, manifest.get().job(), manifest.get().source() == null ? null : manifest.get().source().database(),
                        manifest.get().options());
            } catch (IllegalArgumentException e) {
                refused(runId, e.getMessage());
                return false;
            } catch (RunStore.RunStoreException e) {
                if (config.fleet().enabled() && store.find(runId).isPresent()) {
                    return false; // another replica adopted it at the same moment
                }
                throw e;
            }
        } else if (!run.get().status().isActive()) {
            try {
                if (!redelivery.accept(runId)) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        if (config.fleet().enabled()) {
            // the run's import half is claimed like any other work, by one replica beside the destination
            LOG.infof("delivery %s complete, its import is for the fleet to claim", runId);
            return false;
        }
        // from here on the message is about the run, not about the DONE file that announced it
        exchange.getMessage().removeHeaders("Camel*");
        exchange.getMessage().setHeader(RunHeaders.RUN_ID, runId);
        exchange.getMessage().setBody(null);
        LOG.infof("delivery %s complete, import starts", runId);
        return true;
    }

    private Optional<String> signature(Path delivery, String runId, String job) {
        try {
            String done = DeliveryTree.read(delivery.resolve(DeliveryFiles.DONE), DeliveryFiles.MAX_MARKER);
            return DeliverySignature.problem(done, keys.accepted(), runId, job, Sha256.of(delivery.resolve(DeliveryFiles.CHECKSUMS)));
        } catch (java.io.IOException e) {
            return Optional.of("its DONE marker or checksum list cannot be read (" + e.getMessage() + ")");
        }
    }

    /**
     * The manifest the run is adopted with (its job, its options) must be the one the signed list
     * names, byte for byte: what the list vouches for, not what happens to lie next to it.
     */
    private Optional<String> listed(Path delivery) {
        try {
            String list = DeliveryTree.read(delivery.resolve(DeliveryFiles.CHECKSUMS), DeliveryFiles.MAX_LIST);
            String sha = Sha256.of(delivery.resolve(DeliveryFiles.MANIFEST));
            return list.lines().anyMatch(l -> l.equals(sha + "  " + DeliveryFiles.MANIFEST)) ? Optional.empty()
                    : Optional.of("its manifest is not the one its signed checksum list names");
        } catch (java.io.IOException e) {
            return Optional.of("its manifest or checksum list cannot be read (" + e.getMessage() + ")");
        }
    }

    /** A refused delivery, in the log and in the data directory's refused/ (one file per run id, with the reason). */
    private void refused(String runId, String why) {
        LOG.warnf("refusing delivery %s: %s", runId, why);
        try {
            Path dir = Files.createDirectories(config.dataDir().resolve("refused"));
            Files.writeString(dir.resolve(runId), java.time.OffsetDateTime.now() + " " + why + "\n");
        } catch (java.io.IOException e) {
            LOG.warnf("cannot record the refusal of %s: %s", runId, e.getMessage());
        }
    }

    private List<String> problems(Path delivery) {
        try {
            return DeliveryTree.problems(config.importHalf().dropDir(), delivery);
        } catch (java.io.IOException e) {
            return List.of("cannot be read (" + e.getMessage() + ")");
        }
    }

    private Optional<SourceManifest> manifest(Path delivery) {
        try {
            return Optional.of(json.readValue(DeliveryTree.read(delivery.resolve(DeliveryFiles.MANIFEST), DeliveryFiles.MAX_MANIFEST),
                    SourceManifest.class));
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}

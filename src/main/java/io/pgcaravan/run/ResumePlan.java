package io.pgcaravan.run;

import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.delivery.DeliveryFiles;
import io.pgcaravan.stage.Resend;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.store.StageStatus;
import io.pgcaravan.work.RunContext;
import io.pgcaravan.work.RunContexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.file.Files;
import java.util.List;

/**
 * What a resume has to do again before it goes on at the stage that failed (RunCommands#resume):
 * check the delivery again when the checked copy the later stages read is gone; send damaged
 * files again; dump again when the staging copy a resend or an unfinished upload needs is gone.
 */
@ApplicationScoped
class ResumePlan {

    @Inject
    io.pgcaravan.store.JobCatalog jobs;
    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    RunContexts contexts;

    /**
     * What a resume must do again besides the stage that failed: the export half again from the
     * dump when the run's staging copy is gone (discarded, or dropped by caravan.staging.retention)
     * before its upload was done; after a delivery failed its checksums on the intermediate host,
     * the damaged files sent again from the staging copy (or a new dump when there is none) before
     * they are checked again, since checking the same bytes again would fail again; and the
     * delivery checked (and so copied) again when the checked copy the import stages read is gone.
     * {@code before}: the run's stages as they were when it ended (the run is queued again already).
     */
    String redo(RunRecord run, List<io.pgcaravan.store.StageRecord> before) throws java.io.IOException {
        String runId = run.id();
        java.util.Map<String, StageStatus> stages = new java.util.HashMap<>();
        before.forEach(s -> stages.put(s.stage(), s.status()));
        JobConfig job = jobs.find(run.job()).orElse(null);
        if (job == null) {
            return null;
        }
        RunContext ctx = contexts.of(runId);
        boolean exportHere = config.role() != CaravanConfig.Role.IMPORT;
        boolean importHere = config.role() != CaravanConfig.Role.EXPORT;
        boolean staged = Files.isDirectory(ctx.stagingDir().resolve(DeliveryFiles.DUMP), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                || Files.isRegularFile(ctx.stagingDir().resolve(DeliveryFiles.DUMP), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        boolean copyGone = importHere && ctx.privateCopy() && stages.get("checksum") == StageStatus.DONE
                && stages.get("report") != StageStatus.DONE
                && !Files.isRegularFile(ctx.verifiedDir().resolve(DeliveryFiles.CHECKSUMS), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        // a checksum failure that named what was damaged (an I/O error, a full disk name nothing: the stage just runs again)
        java.util.Set<String> damagedFiles = Resend.damaged(ctx.workDir());
        boolean damaged = stages.get("upload") == StageStatus.DONE && stages.get("checksum") == StageStatus.FAILED && !damagedFiles.isEmpty();
        if (copyGone && !exportHere) {
            store.stageReset(runId, "checksum");
            return "the checked copy of its delivery is gone from the work directory: checking the delivery again";
        }
        if (!exportHere) {
            return null;
        }
        if (copyGone) {
            // the drop directory no longer holds the dump either (it moved into the copy)
            damagedFiles = java.util.Set.of(Resend.ALL);
            damaged = true;
        }
        if (damaged && staged) {
            Resend.mark(ctx.workDirMade(), damagedFiles);
            store.stageReset(runId, "upload");
            store.stageReset(runId, "checksum");
            String what = damagedFiles.contains(Resend.ALL) ? "it all" : String.join(", ", damagedFiles);
            return (copyGone ? "the checked copy of its delivery is gone" : "its delivery failed its checksums on the intermediate host")
                    + ": sending " + what + " again from the staging copy";
        }
        if (damaged || stages.get("upload") != StageStatus.DONE && stages.get("dump") == StageStatus.DONE && !staged) {
            // (the dump stage withdraws the earlier delivery from the host before it sends the new one)
            Resend.forgetDamaged(ctx.workDir());
            for (String stage : List.of("roles", "dump", "manifest", "upload", "checksum")) {
                store.stageReset(runId, stage);
            }
            return damaged ? "its delivery failed its checksums on the intermediate host and its staging copy is gone: dumping again"
                    : "its staging copy is gone: dumping again";
        }
        return null;
    }
}

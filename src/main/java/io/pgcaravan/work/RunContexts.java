package io.pgcaravan.work;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.store.RunRecord;
import io.pgcaravan.store.RunStore;
import io.pgcaravan.track.RunHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.camel.Exchange;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NoSuchElementException;

/**
 * The run a stage works for, as that stage sees it: its job, its options and its directories
 * (staging, delivery, remote), looked up from the run history by the run id an exchange carries.
 * Stages ask here; they never reach up into the run commands.
 */
@ApplicationScoped
public class RunContexts {

    @Inject
    io.pgcaravan.store.JobCatalog jobs;
    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;

    /** The run an exchange works for (its {@link RunHeaders#RUN_ID} header). */
    public RunContext of(Exchange exchange) {
        return of(exchange.getMessage().getHeader(RunHeaders.RUN_ID, String.class));
    }

    public RunContext of(String runId) {
        RunRecord run = store.find(runId).orElseThrow(() -> new NoSuchElementException("no run " + runId));
        // the job as this run sees it: its source database, its destination database (OneDatabase)
        JobConfig job = io.pgcaravan.config.OneDatabase.of(job(run.job()), run.database());
        Path staging = stagingRoot(job).resolve(runId);
        Path delivery = config.importHalf().dropDir().toAbsolutePath().normalize().resolve(runId);
        String remote = job.intermediateIfConfigured().map(i -> i.dropDir().replaceAll("/+$", "") + "/" + runId).orElse(null);
        Path work = config.dataDir().resolve("work").resolve(runId).toAbsolutePath().normalize();
        // the checked copy: always with caravan.import.private-copy, otherwise only where the checksum
        // stage had to make one (a delivery of zstd-compressed table files, see Checksum)
        Path verified = config.importHalf().privateCopy()
                || Files.isDirectory(work.resolve(RunContext.VERIFIED), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                ? work.resolve(RunContext.VERIFIED) : delivery;
        return new RunContext(runId, run.job(), job, run.options(), staging, delivery, remote, work, verified);
    }

    /** The job as configured (a job of several databases: with their names and patterns; a run's own is {@link #of}'s). */
    public JobConfig job(String jobName) {
        // the configuration file's jobs, and those created over the API
        return jobs.find(jobName).orElseThrow(() -> new NoSuchElementException("no job named '" + jobName + "' is configured"));
    }

    /** Where a job's runs keep their dumps before upload: staging-dir, or {@code <data-dir>/staging}. */
    public Path stagingRoot(JobConfig job) {
        return job.stagingDir().orElse(config.dataDir().resolve("staging")).toAbsolutePath().normalize();
    }

    /** What a stage records with the run (the precheck's items, the verification), as the run history keeps it. */
    public String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

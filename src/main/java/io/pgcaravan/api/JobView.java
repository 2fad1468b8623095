package io.pgcaravan.api;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.RunOptions;

/** A job's configuration as the API shows it: everything but the secrets. */
public record JobView(String name, Database source, Database destination, Intermediate intermediate,
                      String dumpFormat, int dumpJobs, String dumpCompression, String restoreMode, int restoreJobs, Schedule schedule,
                      // "configuration" (the file's: read-only here) or "api"; an API job's keys as stored (secrets are references there)
                      String origin, boolean readOnly, java.util.Map<String, String> definition) {

    /** When the job runs by itself (null fields: only when started). */
    public record Schedule(String cron, String timeZone) {
    }

    public record Database(String host, int port, String database, String user, String sslmode) {
        static Database of(java.util.Optional<JobConfig.DatabaseEndpoint> endpoint) {
            return endpoint.map(ep -> new Database(ep.host(), ep.port(), ep.database(), ep.user(), ep.sslmode().orElse(null)))
                    .orElse(null);
        }
    }

    public record Intermediate(String host, int port, String user, String dropDir, boolean strictHostKeyChecking) {
    }

    static JobView of(String name, JobConfig job, io.pgcaravan.store.JobCatalog.Origin origin, java.util.Map<String, String> definition) {
        RunOptions options = RunOptions.of(job); // the defaults resolved, as a run would use them
        // an agent of a split deployment shows only the side it reaches (null: not configured here)
        return new JobView(name, Database.of(job.sourceIfConfigured()), Database.of(job.destinationIfConfigured()),
                job.intermediateIfConfigured().map(i -> new Intermediate(i.host(), i.port(), i.user(), i.dropDir(),
                        i.strictHostKeyChecking())).orElse(null),
                options.dumpFormat().name().toLowerCase(), options.dumpJobs(),
                options.dumpCompression() == null ? "auto" : options.dumpCompression().toString(),
                options.restoreMode().name().toLowerCase().replace('_', '-'), options.restoreJobs(),
                new Schedule(job.schedule().cron().orElse(null), job.schedule().timeZone().orElse(null)),
                origin.name().toLowerCase(), origin == io.pgcaravan.store.JobCatalog.Origin.CONFIGURATION, definition);
    }
}

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

    /**
     * @param database         the one database, or, on a job of several, null on the source and the
     *                         template on the destination ({database}: each run's source database)
     * @param databases        of a job of several, the names and patterns as configured (null otherwise)
     * @param maxConcurrentRuns how many of the job's runs may work on this server at once (null: no limit)
     */
    public record Database(String host, int port, String database, java.util.List<String> databases, java.util.List<String> excludeDatabases,
                           Integer maxConcurrentRuns, String user, String sslmode) {
        static Database of(java.util.Optional<JobConfig.DatabaseEndpoint> endpoint) {
            return endpoint.map(ep -> new Database(ep.host(), ep.port(),
                            ep.databases().isPresent() ? null : ep.database(), ep.databases().orElse(null), ep.excludeDatabases().orElse(null),
                            ep.maxConcurrentRuns().orElse(null), ep.user(), ep.sslmode().orElse(null)))
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

package io.pgcaravan.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A job as one of its runs sees it: its source is the run's database, its destination the
 * job's destination.database with {@code {database}} replaced by that name. Every stage reads the
 * job through this, so a job of several databases needs nothing of them; a job of one database
 * is the same job (its source database is the run's, its destination by default the same name).
 */
public final class OneDatabase implements JobConfig {

    private final JobConfig job;
    private final String database;

    private OneDatabase(JobConfig job, String database) {
        this.job = job;
        this.database = database;
    }

    /** The job for a run of {@code database} (null: the job's own source database, as for a run recorded before runs had one). */
    public static JobConfig of(JobConfig job, String database) {
        if (job instanceof OneDatabase one) {
            job = one.job;
        }
        if (database == null && job.severalDatabases()) {
            // a run recorded before its job named several databases: which one it was is not known
            throw new IllegalStateException("this run has no database of its own, and its job now names several "
                    + "(source.databases); start a new run of the job");
        }
        String db = database != null ? database
                : job.sourceIfConfigured().map(DatabaseEndpoint::database).filter(d -> !d.equals(RUN_DATABASE)).orElse(null);
        return db == null ? job : new OneDatabase(job, db);
    }

    /** The destination database of a run of {@code database}. */
    public static String destinationName(String template, String database) {
        return template.replace(RUN_DATABASE, database);
    }

    /** The job as configured, with the names and patterns of its databases. */
    public JobConfig configured() {
        return job;
    }

    @Override
    public Optional<DatabaseEndpoint> sourceIfConfigured() {
        return job.sourceIfConfigured().map(ep -> new Endpoint(ep, database));
    }

    @Override
    public Optional<DatabaseEndpoint> destinationIfConfigured() {
        return job.destinationIfConfigured().map(ep -> new Endpoint(ep, destinationName(ep.database(), database)));
    }

    @Override
    public boolean severalDatabases() {
        return job.severalDatabases();
    }

    @Override
    public Optional<Intermediate> intermediateIfConfigured() {
        return job.intermediateIfConfigured();
    }

    @Override
    public Optional<Path> stagingDir() {
        return job.stagingDir();
    }

    @Override
    public Dump dump() {
        return job.dump();
    }

    @Override
    public Restore restore() {
        return job.restore();
    }

    @Override
    public Retry retry() {
        return job.retry();
    }

    @Override
    public Select select() {
        return job.select();
    }

    @Override
    public ConflictMode conflicts() {
        return job.conflicts();
    }

    @Override
    public Flavour flavour() {
        return job.flavour();
    }

    @Override
    public Roles roles() {
        return job.roles();
    }

    @Override
    public boolean freezeSourceWrites() {
        return job.freezeSourceWrites();
    }

    @Override
    public Verify verify() {
        return job.verify();
    }

    @Override
    public Schedule schedule() {
        return job.schedule();
    }

    /** An endpoint with one database. */
    private record Endpoint(DatabaseEndpoint ep, String database) implements DatabaseEndpoint {
        @Override
        public String host() {
            return ep.host();
        }

        @Override
        public int port() {
            return ep.port();
        }

        @Override
        public Optional<List<String>> databases() {
            return Optional.empty();
        }

        @Override
        public Optional<List<String>> excludeDatabases() {
            return Optional.empty();
        }

        @Override
        public Optional<Integer> maxConcurrentRuns() {
            return ep.maxConcurrentRuns();
        }

        @Override
        public String user() {
            return ep.user();
        }

        @Override
        public Optional<String> password() {
            return ep.password();
        }

        @Override
        public Optional<Path> passwordFile() {
            return ep.passwordFile();
        }

        @Override
        public Optional<String> passwordEnv() {
            return ep.passwordEnv();
        }

        @Override
        public Optional<String> sslmode() {
            return ep.sslmode();
        }

        @Override
        public String maintenanceDatabase() {
            return ep.maintenanceDatabase();
        }

        @Override
        public Optional<String> zone() {
            return ep.zone();
        }
    }
}

package io.pgcaravan.config;


import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Max;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Everything under {@code caravan.*}: the jobs, and how this process runs them. */
@ConfigMapping(prefix = "caravan")
public interface CaravanConfig {

    /**
     * Where run history, staging and the passfiles of active runs live unless configured otherwise.
     * A relative path starts with "./" (the run history's H2 URL is built from it).
     */
    @WithDefault("./data")
    Path dataDir();

    /**
     * What this process does: {@code all} (both halves, all-in-one), {@code export} (near the
     * source: precheck of the source and the SFTP hop, dump, manifest, upload; it never connects
     * to the destination and follows the import through the drop directory) or {@code import}
     * (on the intermediate host: watches the drop directory, prepares, restores, verifies; it
     * never connects to the source).
     */
    @WithDefault("all")
    Role role();

    enum Role { ALL, EXPORT, IMPORT }

    /** The configured jobs, by name: {@code caravan.jobs.<name>.*}. */
    Map<String, JobConfig> jobs();

    Runs runs();

    /** Replicas sharing the work through the run history (FleetConfig); off: this process works alone. */
    FleetConfig fleet();

    Retry retry();

    Schedule schedule();

    /** Runs one job and exits with its outcome (for a container scheduler's cron job). */
    OneShot oneShot();

    interface Schedule {
        /** The time zone of the jobs' cron expressions unless a job names its own. */
        @WithDefault("UTC")
        String timeZone();
    }

    interface OneShot {
        /** The job to run once; the process then exits 0 if it SUCCEEDED, 1 otherwise. */
        Optional<String> job();
    }

    Tools tools();

    @WithName("import")
    ImportHalf importHalf();

    Api api();

    /** The staging copies of runs that ended without succeeding. */
    Staging staging();

    interface Staging {
        /**
         * How long a failed or cancelled run keeps its local staging copy for a resume (a
         * succeeded run's goes at once); older ones are dropped (a resume then dumps again).
         */
        @WithDefault("24h")
        String retention();

        /** How often that is applied, in milliseconds. */
        @WithDefault("600000")
        @Min(1000)
        long retentionSweepMs();

        /**
         * The most space the staging copies of ended runs may hold together (e.g. {@code 20G});
         * beyond it the oldest go first, whatever their age. Unset: no limit but the retention
         * (and a new run that needs their space takes it, oldest first).
         */
        Optional<io.quarkus.runtime.configuration.MemorySize> maxHeld();
    }

    /** How deliveries are signed by the export half and checked by the import half. */
    Delivery delivery();

    interface Delivery {
        /**
         * The HMAC-SHA256 key (a file holding at least 32 bytes, e.g. 64 hex digits) the export half
         * signs each delivery with and the import half checks it with. Unset: a key of this
         * process's own, made once in the data directory ({@code delivery.key}), which serves the
         * all-in-one deployment; a split deployment gives both agents the same file.
         */
        Optional<Path> keyFile();

        /** Further keys the import half accepts (while a key is rotated: the old one, until its deliveries are in). */
        Optional<List<Path>> acceptedKeyFiles();
    }

    interface Runs {
        /** How many runs may be active at once (each job still runs at most once at a time). */
        @WithDefault("4")
        @Min(1) @Max(64)
        int concurrency();

        /** Directory for the 0600 passfiles of active runs; defaults to {@code <data-dir>/secrets}. */
        Optional<Path> secretsDir();
    }

    /** How retries are spaced; the windows themselves are set per job ({@code caravan.jobs.<job>.retry.*}). */
    interface Retry {
        /** Delay before the first retry in milliseconds; each further one waits twice as long, up to max-delay-ms. */
        @WithDefault("5000")
        @Min(0)
        long initialDelayMs();

        @WithDefault("120000")
        @Min(0)
        long maxDelayMs();

        /**
         * Whether the windows must lie in the documented ranges. Only test profiles turn this off,
         * to use windows of seconds; the rule "other shorter than connection" always holds.
         */
        @WithDefault("true")
        boolean enforceRanges();
    }

    interface Tools {
        /**
         * Directory holding pg_dump, pg_restore, pg_dumpall and psql. Empty: the newest
         * {@code /usr/lib/postgresql/<major>/bin} if there is one, else the PATH.
         */
        Optional<Path> binDir();
    }

    /** The export agent's view of the import half, in a split deployment. */
    @WithName("export")
    ExportHalf exportHalf();

    interface ExportHalf {
        /** How often the export agent reads the import agent's status.json / result.json of its runs, in milliseconds. */
        @WithDefault("5000")
        @Min(200)
        long pollDelayMs();
    }

    interface ImportHalf {
        /** Whether this process runs the import half (watches the drop directory). */
        @WithDefault("true")
        boolean enabled();

        /**
         * The intermediate host's drop directory as seen by the import half (a local path: the
         * import half runs on, or beside, the intermediate host).
         */
        @WithDefault("./data/drop")
        Path dropDir();

        /** How often the drop directory is scanned for DONE markers, in milliseconds (a listing of the run directories: cheap). */
        @WithDefault("250")
        @Min(100)
        long pollDelayMs();

        /**
         * How long a finished run's delivery stays in the drop directory before the import half
         * deletes it (e.g. "7d"); never while the run is not finished. Empty: kept.
         */
        Optional<String> retention();

        /** How often the retention is applied, in milliseconds. */
        @WithDefault("600000")
        @Min(1000)
        long retentionSweepMs();

        /**
         * Whether the checksum stage copies the delivery into the run's work directory while it
         * hashes it, and everything after it reads that copy (default): the SFTP account owns the
         * files in the drop directory and could change them after they were checked. Off only when
         * that account is the app's own user (then it could change the copy as well).
         */
        @WithDefault("true")
        boolean privateCopy();
    }

    interface Api {
        /** API users (HTTP basic): {@code caravan.api.users.<name>.password|password-file|roles}. */
        Map<String, ApiUser> users();

        /**
         * Bearer tokens ({@code Authorization: Bearer ...}), for pipelines and schedulers:
         * {@code caravan.api.tokens.<name>.password|password-file|roles}, the token being the "password".
         */
        Map<String, ApiUser> tokens();

        /** Where the secrets of jobs created over the API may be (POST/PUT /api/jobs). */
        JobSecrets jobSecrets();

        /** The largest request body the API takes, in bytes; a larger one is a JSON 413. */
        @WithDefault("65536")
        @Min(1)
        long maxBodyBytes();
    }

    /**
     * A job created over the API names its secrets (password files, the SSH key, password
     * variables) but only where these allow: an operator must not point a job's password at any
     * file or variable of the process and send it to a server of their choosing.
     */
    interface JobSecrets {
        /** Directories (and what is below them) the files may be in. */
        @WithDefault("/run/secrets")
        List<Path> dirs();

        /** What the names of password variables must begin with. */
        @WithDefault("CARAVAN_SECRET_")
        String envPrefix();
    }

    interface ApiUser {
        Optional<String> password();

        Optional<Path> passwordFile();

        /** {@code viewer} (read) and/or {@code operator} (start, cancel, resume). */
        @WithDefault("viewer")
        java.util.Set<String> roles();
    }
}

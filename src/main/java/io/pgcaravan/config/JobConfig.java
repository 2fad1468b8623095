package io.pgcaravan.config;


import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One migration job: where the data comes from, where it goes and how it travels.
 * Longer than 250 lines because it is the whole configuration mapping of a job, one method per key
 * with its default and its meaning; splitting it would only scatter the keys a DBA reads together
 * (docs/configuration.md is checked against it by ConfigurationDocTest).
 */
public interface JobConfig {

    /**
     * The source, as the export half needs it. An import agent is given none (it never reaches
     * the source): see {@link CaravanConfig#role()}.
     */
    @WithName("source")
    Optional<DatabaseEndpoint> sourceIfConfigured();

    /** The destination, as the import half needs it; an export agent is given none. */
    @WithName("destination")
    Optional<DatabaseEndpoint> destinationIfConfigured();

    /** The intermediate host as the export half reaches it over SFTP; an import agent reads the drop directory locally. */
    @WithName("intermediate")
    Optional<Intermediate> intermediateIfConfigured();

    default DatabaseEndpoint source() {
        return sourceIfConfigured().orElseThrow(() -> new IllegalStateException(
                "this job has no source here (caravan.jobs.<job>.source.*): only an export agent reaches the source"));
    }

    default DatabaseEndpoint destination() {
        return destinationIfConfigured().orElseThrow(() -> new IllegalStateException(
                "this job has no destination here (caravan.jobs.<job>.destination.*): only an import agent reaches the destination"));
    }

    default Intermediate intermediate() {
        return intermediateIfConfigured().orElseThrow(() -> new IllegalStateException(
                "this job has no intermediate host here (caravan.jobs.<job>.intermediate.*): only an export agent uploads"));
    }

    /** Local directory the dump is written to before upload; defaults to {@code <data-dir>/staging}. */
    Optional<Path> stagingDir();

    Dump dump();

    Restore restore();

    Retry retry();

    /** Which schemas and tables are migrated (all by default). */
    Select select();

    /**
     * What happens when the destination database already holds tables to migrate: {@code fail}
     * (the precheck stops the run, listing them), {@code ignore} (a WARN; the restore loads into
     * the existing tables and the verification tells whether the result matches), or
     * {@code replace} (a WARN; the destination database is dropped and created anew before the
     * restore — for a copy refreshed on a schedule).
     */
    @WithDefault("fail")
    ConflictMode conflicts();

    /**
     * The destination's kind, for role migration: {@code postgres} keeps roles as they are,
     * {@code rds} and {@code polardb} give SUPERUSER roles membership in rds_superuser /
     * polar_superuser instead and drop the attributes those services do not grant.
     */
    @WithDefault("postgres")
    Flavour flavour();

    Roles roles();

    /**
     * Set the source database read-only ({@code default_transaction_read_only = on}) while it is
     * dumped, as the guides ask, and back afterwards (also when the run fails or is cancelled).
     * Affects sessions that start after it; the precheck warns about sessions already connected.
     */
    @WithDefault("false")
    boolean freezeSourceWrites();

    Verify verify();

    Schedule schedule();

    /** When the job runs by itself; a run that is due while the last one is still active is recorded as skipped. */
    interface Schedule {
        /** A Quartz cron expression: seconds minutes hours day-of-month month day-of-week, e.g. "0 30 2 * * ?". */
        Optional<String> cron();

        /** The time zone the expression is read in (default: caravan.schedule.time-zone). */
        Optional<String> timeZone();
    }

    interface Verify {
        /**
         * {@code counts}: exact row counts, the object inventory and sequences. {@code checksum}:
         * also a checksum of every table's content on both sides (a full read of every table).
         */
        @WithDefault("counts")
        VerifyMode mode();

        /** Connections counting at once, on the source (in the dump's snapshot) and on the destination. */
        @WithDefault("2")
        @Min(1) @Max(64)
        int jobs();

        /** ANALYZE the destination after the restore, so it is usable at full speed at once. */
        @WithDefault("true")
        boolean analyze();

        /**
         * {@code required}: the schema and the roles are compared, and a run whose client tools
         * cannot read the destination (pg_dump refuses a newer server) fails its precheck.
         * {@code if-readable}: such a run goes on, its report saying the schema and the roles were
         * not compared and why; everything else is verified as always.
         */
        @WithDefault("required")
        SchemaRequirement schema();

        enum SchemaRequirement { REQUIRED, IF_READABLE }
    }

    /** Shell-style patterns ({@code *}, {@code ?}) matched against the exact schema and table names. */
    interface Select {
        /** Only these schemas (empty: all). */
        Optional<List<String>> includeSchemas();

        Optional<List<String>> excludeSchemas();

        /** Only these tables, as {@code schema.table} (like pg_dump -t: without other objects). */
        Optional<List<String>> includeTables();

        Optional<List<String>> excludeTables();
    }

    interface Roles {
        /** Migrate the source's roles (pg_dumpall --roles-only) before the restore. */
        @WithDefault("true")
        boolean migrate();

        /**
         * Carry the roles' password hashes over. Sources that hide them from their users (managed
         * services) need false: pg_dumpall --no-role-passwords.
         */
        @WithDefault("true")
        boolean passwords();

        /**
         * Which roles travel: {@code needed}, the roles the database needs (the owners of its
         * objects, every grantee and grantor, policy and default-privilege roles, roles with
         * settings in it, the members of these and the roles they are members of), or
         * {@code all} of the source cluster's roles.
         */
        @WithDefault("needed")
        RoleScope scope();

        /**
         * Source roles that become other roles on the destination ({@code roles.map.<source>=<destination>}):
         * they are not created there, and what they own, grant or are granted goes to the
         * destination role. When the destination's login is not a superuser (a managed service),
         * every superuser of the source maps to that login unless this says otherwise
         * ({@code roles.map.x=x} keeps x as itself).
         */
        Map<String, String> map();

        enum RoleScope { NEEDED, ALL }
    }

    /** How long a failing stage is retried, by the kind of failure (measured from its first failure). */
    interface Retry {
        /** Database, SSH or network unreachable: 10 to 1440 minutes. */
        @WithDefault("720")
        @WithConverter(RetryDuration.class)
        Duration connection();

        /** Everything else (SQL errors, a tool's failure, a checksum mismatch, a full disk): 1 to 1440 minutes, shorter than connection. */
        @WithDefault("10")
        @WithConverter(RetryDuration.class)
        Duration other();
    }

    interface DatabaseEndpoint {
        @NotBlank
        String host();

        @WithDefault("5432")
        @Min(1) @Max(65535)
        int port();

        /**
         * The database. On the destination it may hold {@code {database}}, the run's source
         * database's name (the default: the same name), e.g. {@code {database}_new}; a job of
         * several databases ({@link #databases()}) needs it there.
         */
        @NotBlank
        @WithDefault(RUN_DATABASE)
        String database();

        /**
         * Source only, instead of {@link #database()}: several databases, each migrated as a run of
         * its own under the job, by name or by shell-style pattern ({@code *}, {@code ?}: matched
         * when a run starts against the source's databases that accept connections, templates and
         * the maintenance database left out unless named).
         */
        Optional<List<String>> databases();

        /** Source only: databases (names or patterns) that {@link #databases()} leaves out. */
        Optional<List<String>> excludeDatabases();

        /**
         * At most this many of the job's runs work on this server at once (unset: no limit beyond
         * caravan.runs.concurrency): on the source, runs in their export half; on the destination,
         * runs in their import half (their restores then wait for the whole delivery rather than
         * begin as it arrives, which would put them on the destination from the dump's start).
         * The rest wait, queued, in the order they were started; in a fleet, across all replicas.
         */
        Optional<@Min(1) @Max(1000) Integer> maxConcurrentRuns();

        @NotBlank
        String user();

        /** The password itself (prefer {@code password-file} or an environment variable). */
        Optional<String> password();

        /** A file holding the password (e.g. a mounted Kubernetes secret); trailing newlines ignored. */
        Optional<Path> passwordFile();

        /** The name of an environment variable holding the password (e.g. one a Kubernetes Secret sets). */
        Optional<String> passwordEnv();

        /** libpq/JDBC sslmode (disable, prefer, require, verify-ca, verify-full). */
        Optional<String> sslmode();

        /** Database used for cluster-level work (CREATE DATABASE, role checks). */
        @WithDefault("postgres")
        String maintenanceDatabase();

        /**
         * In a fleet, the zone ({@code caravan.fleet.zone}) of the replicas that reach this server:
         * only those claim the half of a run that works on it (the export half for the source, the
         * import half for the destination). Unset: replicas without a zone.
         */
        Optional<String> zone();
    }

    /** In a destination's database name: the name of the run's source database (see {@link DatabaseEndpoint#database()}). */
    String RUN_DATABASE = "{database}";

    /** Whether the job names several source databases ({@code source.databases}), each a run of its own. */
    default boolean severalDatabases() {
        return sourceIfConfigured().flatMap(DatabaseEndpoint::databases).isPresent();
    }

    interface Intermediate {
        @NotBlank
        String host();

        @WithDefault("22")
        @Min(1) @Max(65535)
        int port();

        @NotBlank
        String user();

        /** The private key the SFTP client logs in with. */
        Path privateKey();

        Optional<String> privateKeyPassphrase();

        /** known_hosts file the intermediate host's key is verified against. */
        Path knownHosts();

        /**
         * Verify the host key (default). Turning this off is logged at every run: it lets anyone
         * on the path between here and the intermediate host read the dump.
         */
        @WithDefault("true")
        boolean strictHostKeyChecking();

        /** Absolute path of the drop directory on the intermediate host. */
        @NotBlank
        String dropDir();

        /** Upload bandwidth limit in bytes per second (0: none), to leave room on a shared link. */
        @WithDefault("0")
        @Min(0)
        long maxBytesPerSecond();

        /**
         * Whether the SFTP account's group may read the delivery and write next to it (files 0640,
         * directories 0770) instead of the account alone (0600, 0700): for an import agent that
         * runs as another user, a member of that group. The group must be the import agent's
         * alone: roles.sql holds password hashes.
         */
        @WithDefault("false")
        boolean groupAccess();

        /** SSH connect timeout in milliseconds. */
        @WithDefault("15000")
        @Min(1000)
        int connectTimeoutMs();
    }

    interface Dump {
        /**
         * {@code directory} (default: one file per table, dumped in parallel, and each table's file
         * goes up to the intermediate host as soon as it is complete) or {@code custom} (one file).
         */
        @WithDefault("directory")
        DumpFormat format();

        /** Parallel pg_dump jobs (directory format only). Default: the cores of this machine. */
        Optional<@Min(1) @Max(64) Integer> jobs();

        /**
         * gzip level of the dump's files, 0 (none) to 9. Default: chosen per run from the measured
         * speed of the link to the intermediate host: none on a fast one, where compressing would
         * only cost time, level 1 on a slow one (most of gzip's gain for a fraction of its cost).
         */
        Optional<@Min(0) @Max(9) Integer> compression();

        /**
         * zstd level (1 to 9, 0 for none) of the table files as they are sent, directory format
         * only: pg_dump writes them uncompressed and the app compresses them on their way up; the import half's checked copy holds them decompressed. Default: level 1 where the
         * link is slow and {@link #compression()} is not set (fewer bytes than gzip level 1 for less
         * than a third of its CPU, docs/benchmarks.md), none otherwise.
         */
        // (levels above 9 cost much memory and CPU for little gain on table data)
        Optional<@Min(0) @Max(9) Integer> zstdLevel();

        /**
         * A table larger than this on disk (pg_relation_size: 1G, 200M; 0: never) travels in pieces
         * of about this size, as pgcopydb's {@code --split-tables-larger-than} splits one: each a
         * COPY of a range of its pages in the dump's snapshot, written beside pg_dump's files (which
         * leave that table's data out), dumped, sent and restored in parallel. One table cannot go
         * faster than one pg_dump job and one COPY otherwise. Directory format, a source of
         * PostgreSQL 14 or later (a page range is read alone there), and a parallel restore only.
         */
        // (200M as pgcopydb's users often split: the last piece to arrive, loaded after the rest,
        // is what the restore waits for; docs/benchmarks.md measures 200M against 1G and none)
        @WithDefault("200M")
        io.quarkus.runtime.configuration.MemorySize splitTablesLargerThan();
    }

    interface Restore {
        /**
         * {@code auto} (default): parallel into a database this run created or found empty (a
         * failed attempt there is cleaned up before it is retried), single-transaction otherwise.
         * {@code single-transaction}: always atomic. {@code parallel}: always parallel.
         */
        @WithDefault("auto")
        RestoreMode mode();

        /** Parallel pg_restore jobs (parallel restores). Default: the cores of this machine. */
        Optional<@Min(1) @Max(64) Integer> jobs();

        /**
         * Session settings for pg_restore's connections ({@code restore.settings.<name>=<value>},
         * e.g. {@code maintenance_work_mem=1GB}), on top of {@link #PARALLEL_SETTINGS} in parallel
         * restores; the value {@code default} leaves the server's own. None are set otherwise: a
         * bigger {@code maintenance_work_mem} and {@code synchronous_commit=off} made no
         * measurable difference (docs/benchmarks.md), and memory per restore job is for the
         * destination's operator to give.
         */
        Map<String, String> settings();

        /**
         * Restore without the source's ownership and grants (objects end up owned by the
         * destination user). Default: only when roles are not migrated (their owners would be missing).
         */
        Optional<Boolean> noOwner();

        /**
         * In the all-in-one deployment, restore while the delivery is still arriving: the schema
         * as soon as the table of contents, manifest and roles are in the drop directory, then each
         * table's data once its file has arrived and matches what the export half sent
         * (PipelinedRestore). Only into a database the run may throw away, as a parallel restore.
         */
        @WithDefault("true")
        boolean pipelined();

        /**
         * In a parallel restore pg_restore already builds several indexes at once; parallel workers
         * for each build on top only compete with them for the cores (docs/benchmarks.md). Any
         * user may set it, on managed services too.
         */
        Map<String, String> PARALLEL_SETTINGS = Map.of("max_parallel_maintenance_workers", "0");
    }

    enum DumpFormat { CUSTOM, DIRECTORY }

    enum ConflictMode { FAIL, IGNORE, REPLACE }

    enum VerifyMode { COUNTS, CHECKSUM }

    enum Flavour { POSTGRES, RDS, POLARDB }

    enum RestoreMode { AUTO, SINGLE_TRANSACTION, PARALLEL }
}

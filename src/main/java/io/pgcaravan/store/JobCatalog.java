package io.pgcaravan.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.config.JobDefinition;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.validation.Validator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every job this process knows: those of the configuration file (read-only) and those created over
 * the API, kept in the run history's database, so that every replica of a fleet sees a job as soon
 * as it is created or changed. A stored job is read again only when its version changes.
 */
@ApplicationScoped
public class JobCatalog {

    private static final TypeReference<Map<String, String>> KEYS = new TypeReference<>() { };
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(JobCatalog.class);

    @Inject
    CaravanConfig config;
    @Inject
    RunStore store;
    @Inject
    ObjectMapper json;
    @Inject
    Validator validator;

    /**
     * Stored jobs as last read, by name: the stored text they were read from, and the job (by the
     * text, not the version: a job deleted and made again starts at version 1 again).
     */
    private final Map<String, Versioned> read = new ConcurrentHashMap<>();

    private record Versioned(String text, JobDefinition definition) {
    }

    /** Where a job comes from. */
    public enum Origin { CONFIGURATION, API }

    public Optional<JobConfig> find(String name) {
        JobConfig fromFile = config.jobs().get(name);
        if (fromFile != null) {
            return Optional.of(fromFile);
        }
        return stored(name).map(JobDefinition::job);
    }

    public boolean contains(String name) {
        return find(name).isPresent();
    }

    /** Where the job comes from (a stored job whether or not this process can read it, so that it can still be deleted). */
    public Optional<Origin> origin(String name) {
        if (config.jobs().containsKey(name)) {
            return Optional.of(Origin.CONFIGURATION);
        }
        try (Connection c = store.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM caravan_job WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(Origin.API) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot read job " + name, e);
        }
    }

    /** Every job, by name: the file's and the stored ones. */
    public Map<String, JobConfig> all() {
        Map<String, JobConfig> jobs = new TreeMap<>(stored());
        jobs.putAll(config.jobs());
        return jobs;
    }

    /** The jobs created over the API, by name (one query; a job is parsed again only when its version changed). */
    public Map<String, JobConfig> stored() {
        Map<String, JobConfig> jobs = new TreeMap<>();
        try (Connection c = store.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT name, definition, version FROM caravan_job ORDER BY name");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                try {
                    jobs.put(rs.getString(1), parsed(rs.getString(1), rs.getString(2)).job());
                } catch (RuntimeException e) {
                    // one job this process cannot read (another role, an older version's keys) spoils no other
                    LOG.warnf("job %s, stored over the API, is left out here: %s", rs.getString(1), e.getMessage());
                }
            }
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot list the jobs", e);
        }
        read.keySet().retainAll(jobs.keySet());
        return jobs;
    }

    /** The stored jobs' definitions (their keys, for the API to show back). */
    public Optional<Map<String, String>> definition(String name) {
        return stored(name).map(JobDefinition::keys);
    }

    /**
     * Stores a new job.
     *
     * @throws JobExists when a job of that name exists (in the file, or stored, also by a replica a moment ago)
     */
    public void create(JobDefinition job) {
        if (config.jobs().containsKey(job.name())) {
            throw new JobExists(job.name());
        }
        try (Connection c = store.dataSource().getConnection()) {
            insert(c, job);
        } catch (SQLException e) {
            if (DUPLICATE.equals(e.getSQLState())) {
                throw new JobExists(job.name());
            }
            throw new RunStore.RunStoreException("cannot store job " + job.name(), e);
        }
    }

    /**
     * Stores a job, new or changed; whether it was new.
     *
     * @throws ReadOnlyJob for a job of the configuration file
     */
    public boolean put(JobDefinition job) {
        if (config.jobs().containsKey(job.name())) {
            throw new ReadOnlyJob(job.name());
        }
        try (Connection c = store.dataSource().getConnection()) {
            if (update(c, job)) {
                return false;
            }
            try {
                insert(c, job);
                return true;
            } catch (SQLException e) {
                if (DUPLICATE.equals(e.getSQLState()) && update(c, job)) {
                    return false; // made by someone else a moment ago: replaced
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot store job " + job.name(), e);
        }
    }

    private static final String DUPLICATE = "23505";

    private String text(JobDefinition job) {
        try {
            return json.writeValueAsString(new TreeMap<>(job.keys()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void insert(Connection c, JobDefinition job) throws SQLException {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO caravan_job (name, definition, created_at, updated_at, version) VALUES (?, ?, ?, ?, 1)")) {
            ps.setString(1, job.name());
            ps.setString(2, text(job));
            ps.setObject(3, now);
            ps.setObject(4, now);
            ps.executeUpdate();
        }
    }

    private boolean update(Connection c, JobDefinition job) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE caravan_job SET definition = ?, updated_at = ?, version = version + 1 WHERE name = ?")) {
            ps.setString(1, text(job));
            ps.setObject(2, OffsetDateTime.now(ZoneOffset.UTC));
            ps.setString(3, job.name());
            return ps.executeUpdate() == 1;
        }
    }

    /** Deletes a stored job; false if there was none of that name. */
    public boolean delete(String name) {
        if (config.jobs().containsKey(name)) {
            throw new ReadOnlyJob(name);
        }
        read.remove(name);
        try (Connection c = store.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM caravan_job WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot delete job " + name, e);
        }
    }

    private Optional<JobDefinition> stored(String name) {
        try (Connection c = store.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT definition, version FROM caravan_job WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    read.remove(name);
                    return Optional.empty();
                }
                return Optional.of(parsed(name, rs.getString(1)));
            }
        } catch (SQLException e) {
            throw new RunStore.RunStoreException("cannot read job " + name, e);
        }
    }

    private JobDefinition parsed(String name, String definition) {
        Versioned known = read.get(name);
        if (known != null && known.text().equals(definition)) {
            return known.definition();
        }
        try {
            JobDefinition d = JobDefinition.of(name, json.readValue(definition, KEYS), config, validator);
            read.put(name, new Versioned(definition, d));
            return d;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("job " + name + " is stored unreadable", e);
        }
    }

    /** A job of that name exists already. */
    public static class JobExists extends IllegalStateException {
        public JobExists(String name) {
            super("job '" + name + "' exists already; PUT /api/jobs/" + name + " changes it");
        }
    }

    /** The job is the configuration file's: it is changed there, not over the API. */
    public static class ReadOnlyJob extends IllegalStateException {
        public ReadOnlyJob(String name) {
            super("job '" + name + "' is defined in the configuration file and is read-only here; change it there");
        }
    }
}

package io.pgcaravan.it;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A job a test uses, configured next to that test: each test class that needs jobs of its own
 * has a {@code static final List<TestJob> JOBS}, and {@link StackResource} gathers them all
 * before the application starts (one application for all the tests, so they are configured
 * together). A job starts out against the local stack, with its own source and destination
 * database named after it ({@link StackResource#sourceDb}), the custom format, one dump job, a
 * single-transaction restore and retry windows of seconds; a test changes what it tests.
 */
public final class TestJob {

    private final String name;
    private final Map<String, String> properties = new LinkedHashMap<>();

    private TestJob(String name) {
        this.name = name;
        set("source.host", "127.0.0.1");
        set("source.port", Integer.toString(Stack.SOURCE_PORT));
        set("source.database", StackResource.sourceDb(name));
        set("source.user", Stack.ADMIN);
        set("source.password-file", Stack.DIR.resolve("secrets/source.password").toString());
        set("destination.host", "127.0.0.1");
        set("destination.port", Integer.toString(Stack.DESTINATION_PORT));
        set("destination.database", StackResource.destinationDb(name));
        set("destination.user", Stack.ADMIN);
        set("destination.password-file", Stack.DIR.resolve("secrets/destination.password").toString());
        set("intermediate.host", "127.0.0.1");
        set("intermediate.port", Integer.toString(Stack.SSH_PORT));
        set("intermediate.user", "caravan-drop");
        set("intermediate.private-key", Stack.DIR.resolve("client/id_ed25519").toString());
        set("intermediate.known-hosts", Stack.DIR.resolve("client/known_hosts").toString());
        set("intermediate.drop-dir", Stack.DROP.toString());
        set("intermediate.group-access", "true");
        set("dump.format", "custom");
        set("dump.jobs", "1");
        set("restore.mode", "single-transaction");
        set("restore.jobs", "2");
        set("retry.connection", "20s");
        set("retry.other", "4s");
    }

    public static TestJob named(String name) {
        return new TestJob(name);
    }

    /** Directory format with this many dump jobs. */
    public TestJob directory(int dumpJobs) {
        return set("dump.format", "directory").set("dump.jobs", Integer.toString(dumpJobs));
    }

    public TestJob restoreMode(String mode) {
        return set("restore.mode", mode);
    }

    /** A property of the job, by its name under {@code caravan.jobs.<job>.}. */
    public TestJob set(String key, String value) {
        properties.put(key, value);
        return this;
    }

    /** Leaves the property to its default. */
    public TestJob unset(String... keys) {
        for (String key : keys) {
            properties.remove(key);
        }
        return this;
    }

    public String name() {
        return name;
    }

    /** The job's keys relative to {@code caravan.jobs.<job>.}, as the jobs API takes them. */
    Map<String, String> keys() {
        return new LinkedHashMap<>(properties);
    }

    /** The job's configuration as application properties. */
    Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>();
        properties.forEach((k, v) -> p.put("caravan.jobs." + name + "." + k, v));
        return p;
    }

    /** The jobs of several tests as one configuration; a job two tests declare must be the same in both. */
    static Map<String, String> merge(List<TestJob> jobs) {
        Map<String, TestJob> byName = new LinkedHashMap<>();
        Map<String, String> all = new LinkedHashMap<>();
        for (TestJob job : jobs) {
            TestJob seen = byName.putIfAbsent(job.name, job);
            if (seen != null && !seen.properties.equals(job.properties)) {
                throw new IllegalStateException("test job " + job.name + " is declared twice, differently");
            }
            all.putAll(job.properties());
        }
        return all;
    }
}

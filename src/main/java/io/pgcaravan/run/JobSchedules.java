package io.pgcaravan.run;

import io.pgcaravan.config.StartupOrder;
import io.pgcaravan.config.CaravanConfig;
import io.pgcaravan.config.JobConfig;
import io.pgcaravan.store.JobCatalog;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.component.quartz.QuartzComponent;
import org.jboss.logging.Logger;
import org.quartz.TriggerKey;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes one schedule route (from the job-schedule template in routes/schedules.yaml) per job with a
 * cron expression: the configuration file's at start-up, those of jobs created over the API as
 * they come, change and go ({@link #sync}, every few seconds, on every replica of a fleet: each
 * replica needs the route that a fire of the shared trigger runs).
 */
@ApplicationScoped
@Named("jobSchedules")
public class JobSchedules {

    private static final Logger LOG = Logger.getLogger(JobSchedules.class);

    @Inject
    CaravanConfig config;
    @Inject
    CamelContext camel;
    @Inject
    JobCatalog jobs;

    /** The API jobs' schedules this process has a route for: job -> "cron|zone". */
    private final Map<String, String> fromApi = new ConcurrentHashMap<>();

    void onStart(@Observes @Priority(StartupOrder.SCHEDULES) StartupEvent event) throws Exception {
        if (config.oneShot().job().isPresent()) {
            return; // a one-shot process runs its one job and nothing else
        }
        for (Map.Entry<String, JobConfig> e : config.jobs().entrySet()) {
            schedule(e.getKey(), e.getValue());
        }
        camel.getRouteController().startRoute("job-schedules-sync");
    }

    /** Brings the routes of the API jobs' schedules up to date with the jobs as stored. */
    public synchronized void sync() throws Exception {
        Map<String, JobConfig> stored = jobs.stored();
        for (String job : java.util.List.copyOf(fromApi.keySet())) {
            JobConfig now = stored.get(job);
            if (now == null || !key(now).equals(fromApi.get(job))) {
                // a job gone, or whose cron went, takes its trigger with it (a changed cron keeps it: it is rescheduled)
                unschedule(job, now == null || now.schedule().cron().isEmpty());
            }
        }
        for (Map.Entry<String, JobConfig> e : stored.entrySet()) {
            if (!fromApi.containsKey(e.getKey()) && e.getValue().schedule().cron().isPresent()
                    && !config.jobs().containsKey(e.getKey())) {
                schedule(e.getKey(), e.getValue());
                fromApi.put(e.getKey(), key(e.getValue()));
            }
        }
    }

    private String key(JobConfig job) {
        return job.schedule().cron().orElse("") + "|" + job.schedule().timeZone().orElse(config.schedule().timeZone());
    }

    private void schedule(String name, JobConfig job) throws Exception {
        if (job.schedule().cron().isEmpty()) {
            return;
        }
        String cron = job.schedule().cron().get();
        String zone = job.schedule().timeZone().orElse(config.schedule().timeZone());
        TemplatedRouteBuilder.builder(camel, "job-schedule")
                .routeId("schedule-" + name)
                .parameter("job", name)
                // Quartz URIs take the expression's spaces as '+'
                .parameter("cron", cron.trim().replaceAll("\\s+", "+"))
                .parameter("timeZone", zone)
                .add();
        LOG.infof("job %s runs on schedule '%s' (%s)", name, cron, zone);
    }

    /**
     * The job's schedule route goes; with the job itself gone, its trigger too (in a fleet the
     * clustered store keeps a trigger when a route stops, for the other replicas).
     */
    private void unschedule(String job, boolean deleted) throws Exception {
        String route = "schedule-" + job;
        if (camel.getRoute(route) != null) {
            camel.getRouteController().stopRoute(route);
            camel.removeRoute(route);
        }
        fromApi.remove(job);
        if (deleted) {
            camel.getComponent("quartz", QuartzComponent.class).getScheduler().unscheduleJob(TriggerKey.triggerKey(job, "caravan"));
        }
        LOG.infof("job %s: its schedule is %s", job, deleted ? "gone" : "changed");
    }
}

package io.pgcaravan.config;

/**
 * The order of the work done when the application starts ({@code @Observes @Priority(...)
 * StartupEvent}, lowest first), in one place so that each step can rely on the ones before it:
 * nothing resumes before the configuration is known good and a killed predecessor's leftovers
 * (tool processes, passfiles, write freezes) are gone; schedules and the one-shot run come last,
 * after the runs that were already active have been queued again.
 */
public final class StartupOrder {

    /** The configuration checks a field annotation cannot express: a broken configuration never starts anything. */
    public static final int CONFIG_CHECKS = 10;
    /** Tool processes a killed predecessor left running are stopped. */
    public static final int LEFTOVER_TOOLS = 20;
    /** Passfiles a killed predecessor left behind are deleted. */
    public static final int LEFTOVER_PASSFILES = 30;
    /** Write freezes of runs that will not go on are lifted. */
    public static final int LEFTOVER_FREEZES = 40;
    /** The routes of this process's role are started: the drop directory's watch, the back channel, the retention sweep. */
    public static final int AGENT_ROLE = 50;
    /** Runs that were active when the application stopped go on at their first unfinished stage. */
    public static final int RECOVERY = 60;
    /** The jobs' cron schedules. */
    public static final int SCHEDULES = 70;
    /** The one-shot job's run, followed until it ends. */
    public static final int ONE_SHOT = 80;

    private StartupOrder() {
    }
}

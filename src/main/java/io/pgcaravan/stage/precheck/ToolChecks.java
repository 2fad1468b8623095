package io.pgcaravan.stage.precheck;

import io.pgcaravan.config.JobConfig;
import io.pgcaravan.pg.PgTools;

/** The precheck items of the client tools: each must be at least the source's major version. */
public final class ToolChecks {

    public static PrecheckItem version(PgTools tools, String tool, SourceFacts source) {
        String item = "tools." + tool;
        try {
            int major = tools.majorVersion(tool);
            if (source == null) {
                return PrecheckItem.warn(item, tools.path(tool) + " is version " + major + "; source version unknown");
            }
            if (major < source.major()) {
                return PrecheckItem.fail(item, tools.path(tool) + " is version " + major + ", older than the source ("
                        + source.major() + "): install the PostgreSQL " + source.major() + " client tools");
            }
            return PrecheckItem.pass(item, tools.path(tool) + " version " + major + " can read source version " + source.major());
        } catch (Exception e) {
            return PrecheckItem.fail(item, "cannot run " + tools.path(tool) + ": " + e.getMessage());
        }
    }

    /**
     * The verification reads the destination with pg_dump and pg_dumpall, which refuse a server of
     * a newer major: then it could not compare the schema, and a run could not succeed.
     */
    public static PrecheckItem verification(PgTools tools, int destinationMajor, JobConfig.Verify.SchemaRequirement requirement) {
        String item = "tools.verification";
        try {
            int major = Math.min(tools.majorVersion("pg_dump"), tools.majorVersion("pg_dumpall"));
            if (major >= destinationMajor) {
                return PrecheckItem.pass(item, "pg_dump and pg_dumpall " + major + " can read the destination's PostgreSQL " + destinationMajor
                        + " for the verification");
            }
            String why = "pg_dump " + major + " cannot read the destination's PostgreSQL " + destinationMajor;
            String fix = "install the PostgreSQL " + destinationMajor + " client tools and point caravan.tools.bin-dir at them";
            return requirement == JobConfig.Verify.SchemaRequirement.IF_READABLE
                    ? PrecheckItem.warn(item, why + ": with verify.schema=if-readable the run goes on, and its verification compares "
                    + "rows, objects, sequences, large objects and extensions but not the schema and the roles (" + fix + " to compare them)")
                    : PrecheckItem.fail(item, why + ", so the verification could not compare the schema and the roles: " + fix
                    + " (or set verify.schema=if-readable to migrate without comparing them)");
        } catch (Exception e) {
            return PrecheckItem.fail(item, "cannot run " + tools.path("pg_dump") + ": " + e.getMessage());
        }
    }

    private ToolChecks() {
    }
}

package io.pgcaravan.stage.precheck;

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

    private ToolChecks() {
    }
}

package io.pgcaravan.stage.verify;

import io.pgcaravan.exec.ToolRuns;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The two schema scripts the verification compares, written by the same pg_dump version: the
 * source's from the dump that was restored (pg_restore), the destination's read from it now
 * (pg_dump). Both pre- and post-data sections, so large objects' metadata is in them and table
 * data is not; with the database's own entries (--create); without tablespaces, which the restore
 * does not carry. They stay in the run's verification directory for a DBA to read.
 */
public final class SchemaDumps {

    private static final List<String> SECTIONS = List.of("--section=pre-data", "--section=post-data", "--create", "--no-tablespaces");

    private SchemaDumps() {
    }

    public static void source(String pgRestore, Path dump, Path file) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(pgRestore));
        cmd.addAll(SECTIONS);
        cmd.add("--file=" + file);
        cmd.add(dump.toString());
        ToolRuns.run(cmd, 60);
    }

    /** {@code selection}: the pg_dump options of the job's selection, as the export used them. */
    public static void destination(String pgDump, String conninfo, List<String> selection, Path file) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(pgDump));
        cmd.addAll(SECTIONS);
        cmd.add("--no-password");
        cmd.add("--file=" + file);
        cmd.addAll(selection);
        cmd.add("--dbname=" + conninfo);
        ToolRuns.run(cmd, 60);
    }

    /** The destination's roles, without passwords (which a managed destination lets nobody read). */
    public static void roles(String pgDumpall, String conninfo, Path file) throws IOException, InterruptedException {
        ToolRuns.run(List.of(pgDumpall, "--roles-only", "--no-role-passwords", "--no-password", "--file=" + file,
                "--dbname=" + conninfo), 10);
    }
}

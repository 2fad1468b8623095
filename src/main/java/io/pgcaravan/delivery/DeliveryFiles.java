package io.pgcaravan.delivery;

/**
 * The drop-directory contract: every file name a run's staging and delivery directories hold,
 * in one place (as pgcopydb keeps its work directory's paths in one header). A delivery is
 * {@code <drop>/<run-id>/} with:
 * <pre>
 *   dump/ or dump     what pg_dump wrote (directory or custom format)
 *   roles.sql         the source's roles (0600: password hashes)
 *   manifest.json     the source's inventory, counted in the dump's snapshot
 *   sha256            every other file's SHA-256, sha256sum --check format
 *   DONE              the SHA-256 of sha256; written last, it starts the import half
 *   status.json       the run's state, for an export agent that cannot see the run store
 *   report.json/.html the import half's report
 *   result.json       the import half's final result, written after status.json
 * </pre>
 * While a file is sent it is under a temporary name on the intermediate host
 * ({@link io.pgcaravan.sftp.SftpClient#TEMP_PREFIX}, the SFTP client's concern).
 * The routes name two of these in their endpoint URIs ({@code include=DONE},
 * {@code tempPrefix=.writing-}); a test keeps them equal to the constants here.
 */
public final class DeliveryFiles {

    /** The dump inside the staging or delivery directory: a file (custom format) or a directory. */
    public static final String DUMP = "dump";
    /** The dump while pg_dump writes it (staging only): renamed to {@link #DUMP} when complete. */
    public static final String DUMP_PARTIAL = "dump.partial";
    public static final String MANIFEST = "manifest.json";
    /** The source's roles as pg_dumpall wrote them (0600: it holds password hashes). */
    public static final String ROLES = "roles.sql";
    /**
     * The role statements the import half ran, as rewritten for the destination, passwords
     * masked: in the run's work directory, never in the drop directory (0600).
     */
    public static final String ROLES_APPLIED = "roles.applied.sql";
    public static final String CHECKSUMS = "sha256";
    public static final String DONE = "DONE";
    public static final String STATUS = "status.json";
    public static final String REPORT_JSON = "report.json";
    public static final String REPORT_HTML = "report.html";
    public static final String RESULT = "result.json";
    /** What the app writes into a delivery goes under this prefix first and is renamed when complete. */
    public static final String WRITING_PREFIX = ".writing-";
    /** The most a manifest, a checksum list or a marker read from the drop directory may hold. */
    public static final int MAX_MANIFEST = 64 << 20;
    public static final int MAX_LIST = 16 << 20;
    public static final int MAX_MARKER = 4096;

    private DeliveryFiles() {
    }
}

package io.pgcaravan.track;

import java.util.regex.Pattern;

/** The message headers the routes pass a run along with, and the form of the id they carry. */
public final class RunHeaders {
    /** The run an exchange works for; everything else is looked up from it. */
    public static final String RUN_ID = "CaravanRunId";
    /** In a fleet: the number of the claim under which the exchange works on the run (RunLeases). */
    public static final String CLAIM = "CaravanClaim";
    /** Run ids become directory names on two hosts: nothing that could climb out of the drop directory. */
    public static final Pattern RUN_ID_FORMAT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}-\\d{8}T\\d{6}Z-[0-9a-f]{6}");

    private RunHeaders() {
    }
}

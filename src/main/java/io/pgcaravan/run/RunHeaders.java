package io.pgcaravan.run;

/** The message headers the routes pass a run along with. */
public final class RunHeaders {
    /** The run an exchange works for; everything else is looked up from it. */
    public static final String RUN_ID = "CaravanRunId";

    private RunHeaders() {
    }
}

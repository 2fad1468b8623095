package io.pgcaravan.exec;

/**
 * A tool of a run this replica of a fleet no longer holds is not started (it handed the run back,
 * or lost its lease). The stage fails with it; its next attempt finds the run moved and stops.
 */
public class RunNotHeldException extends IllegalStateException {
    public RunNotHeldException(String runId, String tool) {
        super(tool + " of run " + runId + " not started: the run is no longer this replica's");
    }
}

package io.pgcaravan.store;

/**
 * A CDI event: a run's record or one of its stages changed (started, done, failed, ended). The run
 * layer fires it; whoever mirrors runs elsewhere (the split deployment's status.json) observes it,
 * so the run layer need not know them.
 */
public record RunChanged(String runId) {
}

package io.pgcaravan.live;

/** The two halves of a run: each holds its own parts and leaves the run on its own. */
public enum Half { EXPORT, IMPORT }

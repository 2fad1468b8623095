package io.pgcaravan.store;

public enum StageStatus { PENDING, RUNNING, DONE, FAILED }

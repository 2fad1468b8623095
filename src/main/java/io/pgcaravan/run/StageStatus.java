package io.pgcaravan.run;

public enum StageStatus { PENDING, RUNNING, DONE, FAILED }

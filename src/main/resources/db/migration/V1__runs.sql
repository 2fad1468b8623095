-- Run history: one row per run, one per stage of a run. Portable between H2 and PostgreSQL.
CREATE TABLE caravan_run (
    id                  VARCHAR(128) PRIMARY KEY,
    job                 VARCHAR(64)  NOT NULL,
    status              VARCHAR(16)  NOT NULL,
    trigger_kind        VARCHAR(16)  NOT NULL,
    options             TEXT         NOT NULL,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at          TIMESTAMP WITH TIME ZONE,
    finished_at         TIMESTAMP WITH TIME ZONE,
    error               TEXT,
    precheck            TEXT,
    verification        TEXT,
    destination_created BOOLEAN      DEFAULT FALSE NOT NULL
);
CREATE INDEX caravan_run_job_status ON caravan_run (job, status);
CREATE INDEX caravan_run_created ON caravan_run (created_at);

CREATE TABLE caravan_stage (
    run_id      VARCHAR(128) NOT NULL REFERENCES caravan_run (id),
    seq         INTEGER      NOT NULL,
    stage       VARCHAR(32)  NOT NULL,
    status      VARCHAR(16)  NOT NULL,
    started_at  TIMESTAMP WITH TIME ZONE,
    finished_at TIMESTAMP WITH TIME ZONE,
    detail      TEXT,
    PRIMARY KEY (run_id, stage)
);

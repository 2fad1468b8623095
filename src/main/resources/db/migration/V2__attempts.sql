-- Every failed attempt of a stage: when, what kind of failure, why, and whether it was retried.
CREATE TABLE caravan_attempt (
    run_id        VARCHAR(128) NOT NULL REFERENCES caravan_run (id),
    seq           INTEGER      NOT NULL,
    stage         VARCHAR(32)  NOT NULL,
    failed_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    failure_class VARCHAR(16)  NOT NULL,
    cause         TEXT         NOT NULL,
    retried       BOOLEAN      NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- The destination database existed but held no tables when the run prepared it: like one the run
-- created, it may be dropped and recreated to clean up after a failed parallel restore.
ALTER TABLE caravan_run ADD COLUMN destination_was_empty BOOLEAN DEFAULT FALSE NOT NULL;

-- Jobs created over the API (POST/PUT /api/jobs), beside those of the configuration file: the
-- job's configuration keys relative to caravan.jobs.<name>. as a JSON object of strings (checked
-- like the file's when stored). Never a secret: the API takes only password files and variables.
CREATE TABLE caravan_job (
    name       VARCHAR(64)  PRIMARY KEY,
    definition TEXT         NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    version    INTEGER      NOT NULL
);

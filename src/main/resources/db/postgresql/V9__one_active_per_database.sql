-- One active run per job and database (a job of several databases runs each once at a time,
-- several at once), whichever replica starts it.
DROP INDEX caravan_run_one_active;
CREATE UNIQUE INDEX caravan_run_one_active ON caravan_run (job, COALESCE(database_name, '')) WHERE status IN ('QUEUED', 'RUNNING');

-- A job may name several databases of its source, each migrated as a run of its own: the run
-- records which (NULL in runs recorded before: their job's one source database), and how many of
-- its job's runs may work on the source (export half) and on the destination (import half) at
-- once, as its job said when it was queued (NULL: no limit).
ALTER TABLE caravan_run ADD COLUMN database_name VARCHAR(255);
ALTER TABLE caravan_run ADD COLUMN export_limit INTEGER;
ALTER TABLE caravan_run ADD COLUMN import_limit INTEGER;

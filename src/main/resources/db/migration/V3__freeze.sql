-- The optional write freeze of the source: whether this run set the source database read-only,
-- and the database's own default_transaction_read_only setting before that, to put back.
ALTER TABLE caravan_run ADD COLUMN source_frozen BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE caravan_run ADD COLUMN source_freeze_previous TEXT;

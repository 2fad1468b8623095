-- Each claim of a run in a fleet counts up: the exchange a claim started carries its number, so
-- that an exchange of an earlier claim (one this replica lost and then claimed again) is told
-- apart from the current one and records nothing, lets go of nothing.
ALTER TABLE caravan_run ADD COLUMN lease_epoch INTEGER DEFAULT 0 NOT NULL;

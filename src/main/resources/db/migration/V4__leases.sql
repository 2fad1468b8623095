-- A fleet (caravan.fleet.enabled): the replica that has the run (or had it last), until when its
-- claim holds unless renewed (NULL: nobody holds it, any replica in the right zone may claim it),
-- and the zones whose replicas may work on each half of it (the job's source.zone, destination.zone).
ALTER TABLE caravan_run ADD COLUMN replica VARCHAR(128);
ALTER TABLE caravan_run ADD COLUMN lease_until TIMESTAMP WITH TIME ZONE;
ALTER TABLE caravan_run ADD COLUMN export_zone VARCHAR(64);
ALTER TABLE caravan_run ADD COLUMN import_zone VARCHAR(64);

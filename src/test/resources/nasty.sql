-- A database built to catch naive migration tools, run as the cluster's administrator into a
-- fresh database named :"db" (psql variable). The roles nasty_* are cluster-wide and made by
-- nasty-roles.sql first. Everything here must arrive exactly as it is.

-- names that need quoting, everywhere
CREATE SCHEMA "Sales" AUTHORIZATION nasty_owner;
CREATE SCHEMA app AUTHORIZATION nasty_owner;
CREATE SCHEMA "Ünïcödé schema";
COMMENT ON SCHEMA "Sales" IS 'mixed case; with a ''quote''';

SET ROLE nasty_owner;
CREATE TABLE "Sales"."Orders" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "Customer Name" text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    amount_with_tax numeric(12, 2) GENERATED ALWAYS AS (amount * 1.2) STORED,
    placed timestamptz NOT NULL DEFAULT now(),
    secret text
);
COMMENT ON TABLE "Sales"."Orders" IS 'orders, with RLS';
COMMENT ON COLUMN "Sales"."Orders"."Customer Name" IS 'who';
INSERT INTO "Sales"."Orders" ("Customer Name", amount, placed, secret)
SELECT 'customer ' || g, g * 1.5, '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour', 's' || g
  FROM generate_series(1, 500) g;
ALTER TABLE "Sales"."Orders" ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;
ALTER TABLE "Sales"."Orders" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "clerks see theirs" ON "Sales"."Orders" FOR SELECT TO nasty_clerk USING ("Customer Name" LIKE 'customer 1%');
CREATE POLICY auditors ON "Sales"."Orders" AS RESTRICTIVE FOR ALL TO nasty_auditor USING (true) WITH CHECK (false);
CREATE INDEX "Orders by name" ON "Sales"."Orders" ("Customer Name") WITH (fillfactor = 70);

-- column-level grants, and a grant chain: nasty_owner -> nasty_lead (with grant option) -> nasty_clerk
GRANT SELECT ("Customer Name", amount) ON "Sales"."Orders" TO nasty_clerk;
GRANT SELECT, INSERT ON "Sales"."Orders" TO nasty_lead WITH GRANT OPTION;
GRANT USAGE ON SCHEMA "Sales" TO nasty_lead, nasty_clerk, nasty_auditor;
RESET ROLE;
SET ROLE nasty_lead;
GRANT SELECT ON "Sales"."Orders" TO nasty_auditor;
RESET ROLE;

-- default privileges, for a role and in a schema
ALTER DEFAULT PRIVILEGES FOR ROLE nasty_owner IN SCHEMA app GRANT SELECT ON TABLES TO nasty_clerk;
ALTER DEFAULT PRIVILEGES FOR ROLE nasty_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- partitions and inheritance
SET ROLE nasty_owner;
CREATE TABLE app.events (id int NOT NULL, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
INSERT INTO app.events SELECT g, date '2024-06-01' + g, jsonb_build_object('n', g, 'ü', 'ß') FROM generate_series(1, 400) g;
CREATE TABLE app.vehicles (id int PRIMARY KEY, wheels int);
CREATE TABLE app.trucks (payload_tons numeric) INHERITS (app.vehicles);
INSERT INTO app.vehicles VALUES (1, 4), (2, 2);
INSERT INTO app.trucks VALUES (3, 18, 40.5);

-- enum values added BEFORE and AFTER: the sort order is not the creation order
CREATE TYPE app.status AS ENUM ('open', 'closed');
ALTER TYPE app.status ADD VALUE 'pending' BEFORE 'closed';
ALTER TYPE app.status ADD VALUE 'archived' AFTER 'closed';
ALTER TYPE app.status ADD VALUE 'new' BEFORE 'open';
CREATE TABLE app.tickets (id int PRIMARY KEY, status app.status NOT NULL DEFAULT 'new', tags text[], span int4range,
                          CONSTRAINT no_overlap EXCLUDE USING gist (span WITH &&));
INSERT INTO app.tickets VALUES (1, 'pending', '{a,b}', '[1,5)'), (2, 'archived', NULL, '[5,9)'), (3, 'new', '{}', NULL);

-- a range type in a mixed-case schema (its multirange constructor is schema-qualified by pg_dump)
CREATE TYPE "Sales".price_range AS RANGE (subtype = numeric);
CREATE FUNCTION "Sales".in_range(p numeric, r "Sales".price_range) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT r @> p $$;
COMMENT ON FUNCTION "Sales".in_range(numeric, "Sales".price_range) IS 'uses the search_path-free form';

-- unlogged table, a view with options, a sequence at an odd place
CREATE UNLOGGED TABLE app.scratch (k text PRIMARY KEY, v text);
INSERT INTO app.scratch VALUES ('a', '1'), ('b', NULL);
CREATE VIEW app.big_orders WITH (security_barrier = true) AS SELECT id, amount FROM "Sales"."Orders" WHERE amount > 100;
CREATE SEQUENCE app."Odd ""seq""" INCREMENT BY 7 START 3;
SELECT nextval('app."Odd ""seq"""'), nextval('app."Odd ""seq"""');
ALTER TABLE app.scratch ALTER COLUMN v SET STATISTICS 500;
ALTER TABLE app.scratch SET (autovacuum_enabled = false);
RESET ROLE;

-- a publication (no subscription: only its definition travels)
CREATE PUBLICATION nasty_pub FOR TABLE "Sales"."Orders", app.tickets WITH (publish = 'insert, update');

-- large objects with owners, ACLs and comments
SELECT lo_from_bytea(510001, 'first large object');
SELECT lo_from_bytea(510002, convert_to('ünïcode large object', 'UTF8'));
ALTER LARGE OBJECT 510002 OWNER TO nasty_owner;
GRANT SELECT ON LARGE OBJECT 510002 TO nasty_clerk;
COMMENT ON LARGE OBJECT 510001 IS 'a comment on a large object';

-- the database itself: comment, ACL (revoked from PUBLIC), settings with quoted list elements,
-- per-role settings, connection limit
COMMENT ON DATABASE :"db" IS 'the nasty database; comments travel';
REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO nasty_clerk, nasty_auditor, nasty_lead;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO nasty_owner WITH GRANT OPTION;
ALTER DATABASE :"db" SET search_path = app, "Sales", public;
ALTER DATABASE :"db" SET statement_timeout = '30s';
ALTER DATABASE :"db" CONNECTION LIMIT 50;
ALTER ROLE nasty_clerk IN DATABASE :"db" SET statement_timeout = '15s';
ALTER ROLE nasty_lead IN DATABASE :"db" SET search_path = "Sales", public;

-- what a DBA leaves behind as the cluster's superusers: a table owned by the bootstrap superuser
-- (whatever its name: the fixture runs as a superuser, who may give it away), with a grant, and
-- default privileges of the administrator; a managed destination has neither role, so they map
CREATE TABLE app.dba_notes (k text PRIMARY KEY, v text);
INSERT INTO app.dba_notes VALUES ('maintenance', 'sundays');
SELECT format('ALTER TABLE app.dba_notes OWNER TO %I', rolname) FROM pg_roles WHERE oid = 10 \gexec
GRANT SELECT ON app.dba_notes TO nasty_clerk;
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA app GRANT SELECT ON SEQUENCES TO nasty_auditor;

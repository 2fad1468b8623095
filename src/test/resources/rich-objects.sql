-- More of what a real database holds, on top of scripts/sample-db.sql: names that need quoting,
-- an empty table, duplicate rows without a key, a sequence left at an odd value, materialized
-- views (one never populated), large objects, types and a procedure.
CREATE SCHEMA "Mixed Case";
CREATE TABLE "Mixed Case"."Ünïcödé ""quoted"" table" (id int PRIMARY KEY, "Spaced Column" text);
INSERT INTO "Mixed Case"."Ünïcödé ""quoted"" table" VALUES (1, 'a'), (2, 'b <&> c'), (3, 'ç');
CREATE SEQUENCE "Mixed Case"."Odd Seq" START 7;
SELECT nextval('"Mixed Case"."Odd Seq"'), nextval('"Mixed Case"."Odd Seq"');

CREATE TABLE shop.empty_table (id int PRIMARY KEY, note text);
CREATE TABLE shop.dupes (a int, b text);
INSERT INTO shop.dupes VALUES (1, 'x'), (1, 'x'), (2, 'y'), (1, 'x');
SELECT setval('shop.invoice_number', 424242, false);

CREATE MATERIALIZED VIEW shop.country_totals AS SELECT country, count(*) AS customers FROM shop.customers GROUP BY country;
CREATE MATERIALIZED VIEW shop.not_yet AS SELECT 1 AS x WITH NO DATA;

CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN shop.positive AS int CHECK (VALUE > 0);
CREATE PROCEDURE shop.noop() LANGUAGE sql AS $$ SELECT 1 $$;

SELECT lo_from_bytea(0, 'first large object'), lo_from_bytea(0, 'second large object');

-- A shop-like source database for the benchmark, about :scale GB (pg_database_size).
-- Several tables of different sizes; text, numerics, timestamps and jsonb drawn at random so the
-- data does not compress trivially; primary keys, secondary indexes and foreign keys.
-- Run with psql -v scale=1 in an empty database. Deterministic (setseed) for a given scale.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
SELECT setseed(0.42);
-- rows per unit of scale, so that scale 1 comes to about 1 GB with its indexes
SELECT :scale * 1.27 AS s \gset
-- events rows are :s * 1M * :events; the giant-table dataset (bench.py's "g" sizes) sets it high
\if :{?events}
\else
\set events 1
\endif

CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
INSERT INTO countries
SELECT chr(65 + i / 26) || chr(65 + i % 26), 'Country ' || i FROM generate_series(0, 199) i;

-- words make text look like text (compressible about as much as real prose), not like hex
CREATE FUNCTION pg_temp.sentence(n int) RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT string_agg(w[1 + floor(random() * array_length(w, 1))::int], ' ')
  FROM (SELECT string_to_array(
    'amber basalt cobalt delta ember fjord garnet harbor indigo juniper kestrel lagoon meadow nickel '
    'orchid pepper quartz raven saffron timber umber violet walnut xenon yarrow zephyr anchor bramble '
    'cinder dune estuary falcon glacier heather iris jasper kelp lantern marble nectar onyx pebble '
    'quill rustle sierra tundra upland vesper willow yonder zinc apricot birch canyon drift', ' ') w) a,
       generate_series(1, n) $$;

CREATE TABLE customers (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  country char(2) NOT NULL REFERENCES countries,
  created_at timestamptz NOT NULL,
  balance numeric(14,2) NOT NULL,
  profile jsonb NOT NULL);
INSERT INTO customers
SELECT i, initcap(pg_temp.sentence(2)), 'c' || i || '.' || substr(md5(random()::text), 1, 10) || '@example.org',
       (SELECT chr(65 + k / 26) || chr(65 + k % 26) FROM (SELECT (floor(random() * 200) + i * 0)::int AS k) r),
       timestamptz '2015-01-01' + random() * interval '3650 days',
       round((random() * 20000 - 5000)::numeric, 2),
       jsonb_build_object('tier', (ARRAY['free','plus','pro'])[1 + floor(random() * 3)::int],
                          'newsletter', random() < 0.3, 'score', round((random() * 100)::numeric, 3),
                          'tags', jsonb_build_array(pg_temp.sentence(1), pg_temp.sentence(1)))
FROM generate_series(1, ceil(250000 * :s)::bigint) i;

CREATE TABLE products (
  id int PRIMARY KEY,
  sku text NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  price numeric(10,2) NOT NULL,
  attrs jsonb NOT NULL,
  created_at timestamptz NOT NULL);
INSERT INTO products
SELECT i, 'SKU-' || lpad(to_hex(i * 7919), 8, '0'), initcap(pg_temp.sentence(3)), pg_temp.sentence(25),
       round((random() * 500 + 1)::numeric, 2),
       jsonb_build_object('weight_g', floor(random() * 5000)::int, 'colour', pg_temp.sentence(1),
                          'dims', jsonb_build_array(random() * 100, random() * 100, random() * 100)),
       timestamptz '2018-01-01' + random() * interval '2000 days'
FROM generate_series(1, ceil(20000 * :s)::int) i;

CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers,
  ordered_at timestamptz NOT NULL,
  status text NOT NULL,
  total numeric(14,2) NOT NULL,
  note text);
INSERT INTO orders
SELECT i, 1 + floor(random() * 250000 * :s)::bigint, timestamptz '2019-01-01' + random() * interval '1800 days',
       (ARRAY['new','paid','shipped','delivered','returned'])[1 + floor(random() * 5)::int],
       round((random() * 2000)::numeric, 2),
       CASE WHEN random() < 0.2 THEN pg_temp.sentence(8) END
FROM generate_series(1, ceil(1000000 * :s)::bigint) i;

CREATE TABLE order_items (
  order_id bigint NOT NULL REFERENCES orders,
  line smallint NOT NULL,
  product_id int NOT NULL REFERENCES products,
  quantity int NOT NULL,
  unit_price numeric(10,2) NOT NULL,
  discount numeric(5,4) NOT NULL,
  PRIMARY KEY (order_id, line));
INSERT INTO order_items
SELECT o, l, 1 + floor(random() * 20000 * :s)::int, 1 + floor(random() * 5)::int,
       round((random() * 500 + 1)::numeric, 2), round((random() * 0.3)::numeric, 4)
FROM generate_series(1, ceil(1000000 * :s)::bigint) o, generate_series(1, 3) l;

CREATE TABLE events (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers,
  at timestamptz NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL);
INSERT INTO events
SELECT i, 1 + floor(random() * 250000 * :s)::bigint, timestamptz '2023-01-01' + random() * interval '700 days',
       (ARRAY['view','click','cart','search','login'])[1 + floor(random() * 5)::int],
       jsonb_build_object('path', '/' || replace(pg_temp.sentence(2), ' ', '/'), 'ms', floor(random() * 3000)::int,
                          'agent', (ARRAY['firefox','chrome','safari','curl'])[1 + floor(random() * 4)::int],
                          'q', pg_temp.sentence(3), 'session', md5(random()::text))
FROM generate_series(1, (1000000 * :s * :events)::bigint) i;

CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_country ON customers (country);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_ordered_at ON orders (ordered_at);
CREATE INDEX order_items_product ON order_items (product_id);
CREATE INDEX events_customer_at ON events (customer_id, at);
CREATE INDEX products_sku ON products (sku);
-- as a source that has been running a while: hint bits set and tuples frozen, so no tool pays
-- for that on its first read and all of them see the same database
VACUUM (FREEZE, ANALYZE);

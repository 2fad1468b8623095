-- The sample database the demo migrates: a small shop with the kinds of objects a real one has.
-- Loaded into the source cluster by scripts/demo.sh (and by the tests) into an empty database.
SET client_min_messages = warning;

CREATE SCHEMA shop;

CREATE SEQUENCE shop.invoice_number START 1000;

CREATE TABLE shop.customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    email       text UNIQUE,
    country     char(2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    order_count integer NOT NULL DEFAULT 0
);

CREATE TABLE shop.orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers(id),
    invoice_no  bigint NOT NULL DEFAULT nextval('shop.invoice_number'),
    amount      numeric(12,2) NOT NULL CHECK (amount >= 0),
    details     jsonb,
    ordered_at  timestamptz NOT NULL
);
CREATE INDEX orders_customer_idx ON shop.orders (customer_id);

-- a partitioned table with a default partition: counted per leaf partition, never via the parent
CREATE TABLE shop.events (
    id         bigint NOT NULL,
    happened   date NOT NULL,
    kind       text NOT NULL,
    payload    text
) PARTITION BY RANGE (happened);
CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.events_other PARTITION OF shop.events DEFAULT;

-- classic inheritance: the parent holds rows of its own, the child too
CREATE TABLE shop.audit_log (id bigint, at timestamptz NOT NULL, message text);
CREATE TABLE shop.audit_log_archive (archived_by text) INHERITS (shop.audit_log);

-- a view, a function and a trigger that keeps customers.order_count current
CREATE VIEW shop.customer_totals AS
    SELECT c.id, c.name, count(o.id) AS orders, coalesce(sum(o.amount), 0) AS total
      FROM shop.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id
     GROUP BY c.id, c.name;

CREATE FUNCTION shop.count_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shop.customers SET order_count = order_count + 1 WHERE id = NEW.customer_id;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_count AFTER INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.count_order();

-- data
INSERT INTO shop.customers (name, email, country, created_at)
SELECT 'Customer ' || g, 'customer' || g || '@example.org',
       (ARRAY['DE','FR','CN','US','BR'])[1 + g % 5], now() - (g || ' hours')::interval
  FROM generate_series(1, 2000) g;

INSERT INTO shop.orders (customer_id, amount, details, ordered_at)
SELECT 1 + (g * 7919) % 2000, round((random() * 500)::numeric, 2),
       jsonb_build_object('items', 1 + g % 9, 'channel', (ARRAY['web','shop','phone'])[1 + g % 3]),
       now() - (g || ' minutes')::interval
  FROM generate_series(1, 10000) g;

INSERT INTO shop.events (id, happened, kind, payload)
SELECT g, date '2024-07-01' + (g % 800), (ARRAY['login','view','buy'])[1 + g % 3], md5(g::text)
  FROM generate_series(1, 6000) g;

INSERT INTO shop.audit_log (id, at, message)
SELECT g, now() - (g || ' days')::interval, 'event ' || g FROM generate_series(1, 300) g;
INSERT INTO shop.audit_log_archive (id, at, message, archived_by)
SELECT g, now() - (g || ' days')::interval, 'old event ' || g, 'nightly' FROM generate_series(301, 500) g;

-- The roles of the nasty database (cluster-wide, made again only if missing), with attributes,
-- memberships, comments and settings of their own.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nasty_group') THEN
        CREATE ROLE nasty_group NOLOGIN;
        COMMENT ON ROLE nasty_group IS 'a group';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nasty_owner') THEN
        CREATE ROLE nasty_owner LOGIN PASSWORD 'owner-pw' CONNECTION LIMIT 5;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nasty_lead') THEN
        CREATE ROLE nasty_lead LOGIN NOINHERIT VALID UNTIL '2099-01-01 00:00:00+00' IN ROLE nasty_group;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nasty_clerk') THEN
        CREATE ROLE nasty_clerk LOGIN PASSWORD 'clerk-pw';
        ALTER ROLE nasty_clerk SET work_mem = '8MB';
        GRANT nasty_group TO nasty_clerk WITH ADMIN OPTION;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nasty_unrelated') THEN
        -- nothing in the database refers to it: a migration of the database leaves it behind
        CREATE ROLE nasty_unrelated SUPERUSER LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nasty_auditor') THEN
        CREATE ROLE nasty_auditor NOLOGIN BYPASSRLS;
    END IF;
END
$$;

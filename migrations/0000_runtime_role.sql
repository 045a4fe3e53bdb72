-- The runtime role every API request runs as (set_tenant_context switches to it). It can log in
-- (give it a password on Neon: ALTER ROLE qa_app PASSWORD '...'), has no BYPASSRLS, is not a
-- superuser and owns nothing, so every policy applies to it. Roles are cluster-wide, hence the guard.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qa_app') THEN
    CREATE ROLE qa_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

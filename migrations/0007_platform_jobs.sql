-- The sweeper (role 'system', no tenant) removes idempotency records older than their 24 hours,
-- across tenants, and can touch nothing else of them. A DELETE with a WHERE clause must also pass
-- the SELECT policy, hence the pair.
CREATE POLICY platform_jobs_read_expired_idempotency ON idempotency_keys AS PERMISSIVE FOR SELECT TO qa_app
  USING (current_setting('app.user_role', true) = 'system'
         AND nullif(current_setting('app.tenant_id', true), '') IS NULL
         AND created_at < now() - interval '24 hours');--> statement-breakpoint
CREATE POLICY platform_jobs_purge_idempotency ON idempotency_keys AS PERMISSIVE FOR DELETE TO qa_app
  USING (current_setting('app.user_role', true) = 'system'
         AND nullif(current_setting('app.tenant_id', true), '') IS NULL
         AND created_at < now() - interval '24 hours');

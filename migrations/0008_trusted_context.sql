-- A tenant context the database can verify. The Worker signs every context it opens
-- (HMAC-SHA256 over tenant, actor, role, request id, expiry and a one-time nonce) with a key
-- that only it and the owner role know; `set_tenant_context` checks the signature, the expiry
-- and that the nonce was never used, and records the verified context in a table the runtime
-- role cannot read or write, bound to this backend and this transaction. Policies and triggers
-- read the context only through `current_tenant()` and its siblings, which find that record.
-- So a statement running as qa_app cannot name another tenant: `set_config` changes nothing
-- the policies read, a forged context fails the signature, and a replayed one its nonce.
CREATE EXTENSION IF NOT EXISTS pgcrypto;--> statement-breakpoint
CREATE SCHEMA qa_private;--> statement-breakpoint
REVOKE ALL ON SCHEMA qa_private FROM PUBLIC;--> statement-breakpoint

-- The signing keys, registered by the owner (README: "The signed tenant context"). The key id is
-- the first 8 bytes of the key's SHA-256, so the Worker derives it from the key it holds. Two
-- keys may be live at once while one is rotated out.
CREATE TABLE qa_private.context_keys (
  id text PRIMARY KEY,
  secret bytea NOT NULL CHECK (length(secret) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);--> statement-breakpoint

-- Verified contexts. A row lives until its token expires (then the token itself is refused, so the
-- nonce need not be remembered). Unlogged: it is a replay guard for a few minutes, not a record.
CREATE UNLOGGED TABLE qa_private.contexts (
  nonce uuid PRIMARY KEY,
  tenant_id text,
  actor_id text NOT NULL,
  actor_role text NOT NULL,
  request_id text,
  backend_pid integer NOT NULL,
  xact_start timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);--> statement-breakpoint
CREATE INDEX contexts_expires_at ON qa_private.contexts (expires_at);--> statement-breakpoint

CREATE FUNCTION qa_private.register_context_key(p_secret bytea) RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO qa_private.context_keys (id, secret)
  VALUES (encode(substring(sha256(p_secret) FROM 1 FOR 8), 'hex'), p_secret)
  ON CONFLICT (id) DO UPDATE SET revoked_at = NULL
  RETURNING id
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION qa_private.register_context_key(bytea) FROM PUBLIC;--> statement-breakpoint

-- Verifies a signed context and records it for this transaction. SECURITY DEFINER so it can read
-- the keys; callable by qa_app, which gains nothing from it without a fresh, correctly signed token.
CREATE FUNCTION qa_private.open_context(
  p_tenant text, p_actor text, p_role text, p_request_id text,
  p_expires_at bigint, p_nonce uuid, p_key_id text, p_mac text
) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_secret bytea;
  v_now double precision := extract(epoch FROM clock_timestamp());
  v_payload text;
BEGIN
  IF p_role NOT IN ('super_admin', 'tenant_admin', 'manager', 'agent', 'system') THEN
    RAISE EXCEPTION 'invalid context' USING ERRCODE = 'QAT03';
  END IF;
  SELECT k.secret INTO v_secret FROM qa_private.context_keys k WHERE k.id = p_key_id AND k.revoked_at IS NULL;
  IF v_secret IS NULL THEN
    RAISE EXCEPTION 'invalid context' USING ERRCODE = 'QAT03';
  END IF;
  -- Newline-separated; the Worker refuses fields that contain one, so the encoding is unambiguous.
  v_payload := 'qa-context-v1' || E'\n' || p_key_id || E'\n' || coalesce(p_tenant, '') || E'\n' || p_actor
    || E'\n' || p_role || E'\n' || coalesce(p_request_id, '') || E'\n' || p_expires_at || E'\n' || p_nonce;
  IF encode(public.hmac(convert_to(v_payload, 'UTF8'), v_secret, 'sha256'), 'hex') IS DISTINCT FROM p_mac THEN
    RAISE EXCEPTION 'invalid context' USING ERRCODE = 'QAT03';
  END IF;
  -- Short-lived by construction: a token older than its expiry, or claiming more than five
  -- minutes, is refused whatever its signature.
  IF p_expires_at <= v_now OR p_expires_at > v_now + 300 THEN
    RAISE EXCEPTION 'expired context' USING ERRCODE = 'QAT03';
  END IF;
  INSERT INTO qa_private.contexts (nonce, tenant_id, actor_id, actor_role, request_id, backend_pid, xact_start, expires_at)
  VALUES (p_nonce, nullif(p_tenant, ''), p_actor, p_role, nullif(p_request_id, ''), pg_backend_pid(), now(), to_timestamp(p_expires_at))
  ON CONFLICT (nonce) DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'replayed context' USING ERRCODE = 'QAT03';
  END IF;
  PERFORM set_config('app.context', p_nonce::text, true);
END
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION qa_private.open_context(text, text, text, text, bigint, uuid, text, text) FROM PUBLIC;--> statement-breakpoint
GRANT USAGE ON SCHEMA qa_private TO qa_app;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION qa_private.open_context(text, text, text, text, bigint, uuid, text, text) TO qa_app;--> statement-breakpoint

-- The verified context of this transaction, or no row: the nonce named in `app.context` must
-- have been opened by this backend in this transaction, so pointing the setting at another
-- transaction's nonce finds nothing.
CREATE FUNCTION qa_private.verified_context() RETURNS SETOF qa_private.contexts
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.* FROM qa_private.contexts c
   WHERE c.nonce = (SELECT CASE WHEN s ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s::uuid END
                      FROM current_setting('app.context', true) AS s)
     AND c.backend_pid = pg_backend_pid()
     AND c.xact_start = now()
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION qa_private.verified_context() FROM PUBLIC;--> statement-breakpoint

CREATE FUNCTION current_tenant() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM qa_private.verified_context() $$;--> statement-breakpoint
CREATE FUNCTION current_actor_id() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT actor_id FROM qa_private.verified_context() $$;--> statement-breakpoint
CREATE FUNCTION current_actor_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT actor_role FROM qa_private.verified_context() $$;--> statement-breakpoint
CREATE FUNCTION current_request_id() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT request_id FROM qa_private.verified_context() $$;--> statement-breakpoint
-- The platform's own jobs: role 'system' with no tenant (the sweeper).
CREATE FUNCTION is_platform_job() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce((SELECT actor_role = 'system' AND tenant_id IS NULL FROM qa_private.verified_context()), false) $$;--> statement-breakpoint
REVOKE ALL ON FUNCTION current_tenant(), current_actor_id(), current_actor_role(), current_request_id(), is_platform_job() FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION current_tenant(), current_actor_id(), current_actor_role(), current_request_id(), is_platform_job() TO qa_app;--> statement-breakpoint

-- Forgets contexts whose tokens have expired (their nonces can no longer be presented). The cron
-- sweeper calls it; anyone may, since it removes nothing that still guards a replay.
CREATE FUNCTION purge_expired_contexts() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  WITH gone AS (DELETE FROM qa_private.contexts WHERE expires_at < clock_timestamp() - interval '1 minute' RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION purge_expired_contexts() FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION purge_expired_contexts() TO qa_app;--> statement-breakpoint

-- The unsigned form is gone: nothing may open a context without a signature.
DROP FUNCTION set_tenant_context(text, text, text, text);--> statement-breakpoint

-- Opens the signed context, then switches to the runtime role (a plain function may; a SECURITY
-- DEFINER one may not) and checks the tenant and the user. A suspended tenant is refused for
-- every role but super_admin, the platform's own work included: no webhook, upload or pipeline
-- step spends on its behalf (calls in flight wait; see tenants reactivation).
CREATE FUNCTION set_tenant_context(
  p_tenant text, p_user text, p_role text, p_request_id text,
  p_expires_at bigint, p_nonce uuid, p_key_id text, p_mac text
) RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_status text;
BEGIN
  PERFORM qa_private.open_context(p_tenant, p_user, p_role, p_request_id, p_expires_at, p_nonce, p_key_id, p_mac);
  PERFORM set_config('role', 'qa_app', true);
  IF coalesce(p_tenant, '') = '' THEN
    IF p_role IN ('super_admin', 'system') THEN
      RETURN 'platform';
    END IF;
    RAISE EXCEPTION 'no tenant in context' USING ERRCODE = 'QAT01';
  END IF;
  SELECT status INTO v_status FROM public.tenants WHERE id = p_tenant;
  IF v_status IS NULL THEN
    RAISE EXCEPTION 'unknown tenant' USING ERRCODE = 'QAT01';
  END IF;
  IF p_role IS DISTINCT FROM 'super_admin' THEN
    IF v_status <> 'active' THEN
      RAISE EXCEPTION 'tenant is %', v_status USING ERRCODE = 'QAT02';
    END IF;
    IF p_role IS DISTINCT FROM 'system'
       AND EXISTS (SELECT 1 FROM public.users u WHERE u.tenant_id = p_tenant AND u.id::text = p_user AND u.status <> 'active') THEN
      RAISE EXCEPTION 'user is not active' USING ERRCODE = 'QAU01';
    END IF;
  END IF;
  RETURN v_status;
END
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION set_tenant_context(text, text, text, text, bigint, uuid, text, text) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION set_tenant_context(text, text, text, text, bigint, uuid, text, text) TO qa_app;--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_new jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'secret_ciphertext' END;
  v_old jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'secret_ciphertext' END;
  v_row jsonb := coalesce(v_new, v_old);
  v_changes jsonb;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT jsonb_object_agg(n.key, jsonb_build_object('from', v_old -> n.key, 'to', n.value))
      INTO v_changes
      FROM jsonb_each(v_new) n
     WHERE n.key <> 'updated_at' AND (v_old -> n.key) IS DISTINCT FROM n.value;
    IF v_changes IS NULL THEN
      RETURN NULL;
    END IF;
  ELSE
    v_changes := v_row - 'created_at' - 'updated_at';
  END IF;
  INSERT INTO public.audit_logs (tenant_id, actor_id, actor_role, action, entity_type, entity_id, changes, request_id)
  VALUES (
    CASE WHEN TG_TABLE_NAME = 'tenants' THEN v_row ->> 'id' ELSE v_row ->> 'tenant_id' END,
    current_actor_id(),
    current_actor_role(),
    TG_TABLE_NAME || '.' || lower(TG_OP),
    TG_TABLE_NAME,
    coalesce(v_row ->> 'id', v_row ->> 'feature_key', v_row ->> 'category', v_row ->> 'provider'),
    v_changes,
    current_request_id()
  );
  RETURN NULL;
END
$$;--> statement-breakpoint

DROP POLICY platform_jobs_read_calls ON calls;--> statement-breakpoint
CREATE POLICY platform_jobs_read_calls ON calls AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()));--> statement-breakpoint
DROP POLICY platform_jobs_read_expired_idempotency ON idempotency_keys;--> statement-breakpoint
CREATE POLICY platform_jobs_read_expired_idempotency ON idempotency_keys AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()) AND created_at < now() - interval '24 hours');--> statement-breakpoint
DROP POLICY platform_jobs_purge_idempotency ON idempotency_keys;--> statement-breakpoint
CREATE POLICY platform_jobs_purge_idempotency ON idempotency_keys AS PERMISSIVE FOR DELETE TO qa_app
  USING ((SELECT is_platform_job()) AND created_at < now() - interval '24 hours');--> statement-breakpoint
-- The sweeper leaves suspended tenants' calls where they are, so it reads tenants' status.
CREATE POLICY platform_jobs_read_tenants ON tenants AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()));--> statement-breakpoint

ALTER POLICY "tenant_isolation" ON "alerts" TO qa_app USING ("alerts"."tenant_id" = (select current_tenant())) WITH CHECK ("alerts"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "audit_logs" TO qa_app USING ("audit_logs"."tenant_id" = (select current_tenant()) or (select current_actor_role()) = 'super_admin') WITH CHECK ("audit_logs"."tenant_id" = (select current_tenant()) or (select current_actor_role()) = 'super_admin');--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "calls" TO qa_app USING ("calls"."tenant_id" = (select current_tenant())) WITH CHECK ("calls"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "agents_own_calls" ON "calls" TO qa_app USING ((select current_actor_role()) is distinct from 'agent' or "calls"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "criteria_sets" TO qa_app USING ("criteria_sets"."tenant_id" = (select current_tenant())) WITH CHECK ("criteria_sets"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "criterion_versions" TO qa_app USING ("criterion_versions"."tenant_id" = (select current_tenant())) WITH CHECK ("criterion_versions"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "dashboards" TO qa_app USING ("dashboards"."tenant_id" = (select current_tenant())) WITH CHECK ("dashboards"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "departments" TO qa_app USING ("departments"."tenant_id" = (select current_tenant())) WITH CHECK ("departments"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "evaluation_criteria" TO qa_app USING ("evaluation_criteria"."tenant_id" = (select current_tenant())) WITH CHECK ("evaluation_criteria"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "evaluations" TO qa_app USING ("evaluations"."tenant_id" = (select current_tenant())) WITH CHECK ("evaluations"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "feature_flags" TO qa_app USING ("feature_flags"."tenant_id" = (select current_tenant())) WITH CHECK ("feature_flags"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "idempotency_keys" TO qa_app USING ("idempotency_keys"."tenant_id" = (select current_tenant())) WITH CHECK ("idempotency_keys"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "insights" TO qa_app USING ("insights"."tenant_id" = (select current_tenant())) WITH CHECK ("insights"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "organizations" TO qa_app USING ("organizations"."tenant_id" = (select current_tenant())) WITH CHECK ("organizations"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "settings" TO qa_app USING ("settings"."tenant_id" = (select current_tenant())) WITH CHECK ("settings"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "teams" TO qa_app USING ("teams"."tenant_id" = (select current_tenant())) WITH CHECK ("teams"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "tenant_integrations" TO qa_app USING ("tenant_integrations"."tenant_id" = (select current_tenant())) WITH CHECK ("tenant_integrations"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "tenant_usage" TO qa_app USING ("tenant_usage"."tenant_id" = (select current_tenant())) WITH CHECK ("tenant_usage"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "tenants" TO qa_app USING ("tenants"."id" = (select current_tenant()) or (select current_actor_role()) = 'super_admin') WITH CHECK ("tenants"."id" = (select current_tenant()) or (select current_actor_role()) = 'super_admin');--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "transcripts" TO qa_app USING ("transcripts"."tenant_id" = (select current_tenant())) WITH CHECK ("transcripts"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "users" TO qa_app USING ("users"."tenant_id" = (select current_tenant())) WITH CHECK ("users"."tenant_id" = (select current_tenant()));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "webhook_events" TO qa_app USING ("webhook_events"."tenant_id" = (select current_tenant())) WITH CHECK ("webhook_events"."tenant_id" = (select current_tenant()));
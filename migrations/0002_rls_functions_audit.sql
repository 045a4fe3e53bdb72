-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses
-- every policy.
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE departments FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE teams FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE feature_flags FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE settings FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE tenant_usage FORCE ROW LEVEL SECURITY;--> statement-breakpoint

GRANT USAGE ON SCHEMA public TO qa_app;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, organizations, departments, teams, users, feature_flags, settings, tenant_usage TO qa_app;--> statement-breakpoint
-- The audit trail is append-only for the API.
GRANT SELECT, INSERT ON audit_logs TO qa_app;--> statement-breakpoint
GRANT USAGE ON SEQUENCE audit_logs_id_seq TO qa_app;--> statement-breakpoint

-- First statement of every request's transaction. Settings are transaction-local (is_local =
-- true): connections are pooled, so nothing may outlive the transaction. Not SECURITY DEFINER:
-- such a function may not change `role`. It also refuses an unknown or suspended tenant and a
-- deactivated user, so every later statement of the batch is rolled back with it.
CREATE FUNCTION set_tenant_context(p_tenant text, p_user text, p_role text, p_request_id text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_status text;
BEGIN
  PERFORM set_config('app.tenant_id', coalesce(p_tenant, ''), true);
  PERFORM set_config('app.user_id', coalesce(p_user, ''), true);
  PERFORM set_config('app.user_role', coalesce(p_role, ''), true);
  PERFORM set_config('app.request_id', coalesce(p_request_id, ''), true);
  PERFORM set_config('role', 'qa_app', true);
  IF coalesce(p_tenant, '') = '' THEN
    IF p_role = 'super_admin' THEN
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
    IF EXISTS (SELECT 1 FROM public.users u WHERE u.tenant_id = p_tenant AND u.id::text = p_user AND u.status <> 'active') THEN
      RAISE EXCEPTION 'user is not active' USING ERRCODE = 'QAU01';
    END IF;
  END IF;
  RETURN v_status;
END
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION set_tenant_context(text, text, text, text) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION set_tenant_context(text, text, text, text) TO qa_app;--> statement-breakpoint

CREATE FUNCTION feature_rollout_bucket(p_tenant text, p_feature text, p_user text)
RETURNS integer
LANGUAGE sql IMMUTABLE
AS $$
  SELECT (('x' || substr(md5(p_tenant || ':' || p_feature || ':' || coalesce(p_user, '')), 1, 8))::bit(32)::bigint % 100)::integer
$$;--> statement-breakpoint

-- A flag is on for a user when it is enabled, targets the user's role (or every role), and the
-- user's bucket (0-99, derived from tenant, feature and user so it never changes between
-- requests or database versions) falls under the rollout percentage. Runs with the caller's
-- rights: RLS limits it to the tenant in context.
CREATE FUNCTION is_feature_enabled(p_tenant text, p_feature text, p_user text, p_role text)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT coalesce((
    SELECT f.enabled
       AND (cardinality(f.target_roles) = 0 OR p_role = ANY (f.target_roles))
       AND (f.rollout_percentage >= 100
            OR feature_rollout_bucket(p_tenant, p_feature, p_user) < f.rollout_percentage)
      FROM public.feature_flags f
     WHERE f.tenant_id = p_tenant AND f.feature_key = p_feature
  ), false)
$$;--> statement-breakpoint

CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;--> statement-breakpoint

-- Every change to a tenant table leaves an audit row in the same transaction, with the actor
-- and request id from the context. An UPDATE that changes nothing leaves none.
CREATE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_new jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  v_old jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
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
    nullif(current_setting('app.user_id', true), ''),
    nullif(current_setting('app.user_role', true), ''),
    TG_TABLE_NAME || '.' || lower(TG_OP),
    TG_TABLE_NAME,
    coalesce(v_row ->> 'id', v_row ->> 'feature_key', v_row ->> 'category'),
    v_changes,
    nullif(current_setting('app.request_id', true), '')
  );
  RETURN NULL;
END
$$;--> statement-breakpoint

CREATE TRIGGER tenants_touch BEFORE UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER departments_touch BEFORE UPDATE ON departments FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER teams_touch BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER feature_flags_touch BEFORE UPDATE ON feature_flags FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER settings_touch BEFORE UPDATE ON settings FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint

CREATE TRIGGER tenants_audit AFTER INSERT OR UPDATE OR DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER organizations_audit AFTER INSERT OR UPDATE OR DELETE ON organizations FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER departments_audit AFTER INSERT OR UPDATE OR DELETE ON departments FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER teams_audit AFTER INSERT OR UPDATE OR DELETE ON teams FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER feature_flags_audit AFTER INSERT OR UPDATE OR DELETE ON feature_flags FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER settings_audit AFTER INSERT OR UPDATE OR DELETE ON settings FOR EACH ROW EXECUTE FUNCTION audit_row_change();

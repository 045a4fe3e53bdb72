ALTER TABLE evaluation_criteria FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE criterion_versions FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE criteria_sets FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE calls FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE transcripts FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE evaluations FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE insights FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE tenant_integrations FORCE ROW LEVEL SECURITY;--> statement-breakpoint

GRANT SELECT, INSERT, UPDATE, DELETE ON evaluation_criteria, criteria_sets, calls, transcripts, evaluations, insights, idempotency_keys, webhook_events, tenant_integrations TO qa_app;--> statement-breakpoint
GRANT SELECT, INSERT ON criterion_versions TO qa_app;--> statement-breakpoint

-- The platform's own jobs (the stuck-call sweeper) run as role 'system' with no tenant and may
-- read calls of every tenant; with a tenant in context they see that tenant only, like anyone.
CREATE POLICY platform_jobs_read_calls ON calls AS PERMISSIVE FOR SELECT TO qa_app
  USING (current_setting('app.user_role', true) = 'system' AND nullif(current_setting('app.tenant_id', true), '') IS NULL);--> statement-breakpoint

CREATE OR REPLACE FUNCTION set_tenant_context(p_tenant text, p_user text, p_role text, p_request_id text DEFAULT NULL)
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
    IF p_role IN ('super_admin', 'system') THEN
      RETURN 'platform';
    END IF;
    RAISE EXCEPTION 'no tenant in context' USING ERRCODE = 'QAT01';
  END IF;
  SELECT status INTO v_status FROM public.tenants WHERE id = p_tenant;
  IF v_status IS NULL THEN
    RAISE EXCEPTION 'unknown tenant' USING ERRCODE = 'QAT01';
  END IF;
  IF p_role IS DISTINCT FROM 'super_admin' AND p_role IS DISTINCT FROM 'system' THEN
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

-- Secrets never reach the audit trail, even encrypted.
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
    nullif(current_setting('app.user_id', true), ''),
    nullif(current_setting('app.user_role', true), ''),
    TG_TABLE_NAME || '.' || lower(TG_OP),
    TG_TABLE_NAME,
    coalesce(v_row ->> 'id', v_row ->> 'feature_key', v_row ->> 'category', v_row ->> 'provider'),
    v_changes,
    nullif(current_setting('app.request_id', true), '')
  );
  RETURN NULL;
END
$$;--> statement-breakpoint

-- Every change to a criterion's content is a new version; the old one stays in criterion_versions.
CREATE FUNCTION version_criterion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.name, NEW.description, NEW.category, NEW.max_points, NEW.evaluation_prompts, NEW.auto_fail)
       IS NOT DISTINCT FROM (OLD.name, OLD.description, OLD.category, OLD.max_points, OLD.evaluation_prompts, OLD.auto_fail) THEN
      RETURN NEW;
    END IF;
    NEW.version := OLD.version + 1;
  END IF;
  INSERT INTO public.criterion_versions (tenant_id, criterion_id, version, snapshot)
  VALUES (NEW.tenant_id, NEW.id, NEW.version,
          jsonb_build_object('name', NEW.name, 'description', NEW.description, 'category', NEW.category,
                             'max_points', NEW.max_points, 'evaluation_prompts', to_jsonb(NEW.evaluation_prompts), 'auto_fail', NEW.auto_fail));
  RETURN NEW;
END
$$;--> statement-breakpoint

CREATE FUNCTION version_criteria_set() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.name, NEW.criteria_ids) IS DISTINCT FROM (OLD.name, OLD.criteria_ids) THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint

-- A call changing state records when, so the sweeper can find calls stuck in one.
CREATE FUNCTION stamp_call_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    NEW.status_changed_at := now();
    IF NEW.status = 'completed' THEN NEW.completed_at := now(); END IF;
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint

CREATE TRIGGER evaluation_criteria_version BEFORE INSERT OR UPDATE ON evaluation_criteria FOR EACH ROW EXECUTE FUNCTION version_criterion();--> statement-breakpoint
CREATE TRIGGER criteria_sets_version BEFORE UPDATE ON criteria_sets FOR EACH ROW EXECUTE FUNCTION version_criteria_set();--> statement-breakpoint
CREATE TRIGGER calls_status BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION stamp_call_status();--> statement-breakpoint
CREATE TRIGGER evaluation_criteria_touch BEFORE UPDATE ON evaluation_criteria FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER criteria_sets_touch BEFORE UPDATE ON criteria_sets FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER calls_touch BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER transcripts_touch BEFORE UPDATE ON transcripts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER tenant_integrations_touch BEFORE UPDATE ON tenant_integrations FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint

CREATE TRIGGER evaluation_criteria_audit AFTER INSERT OR UPDATE OR DELETE ON evaluation_criteria FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER criteria_sets_audit AFTER INSERT OR UPDATE OR DELETE ON criteria_sets FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
-- Calls: creation and deletion are audited; the pipeline's state changes are the call's own history.
CREATE TRIGGER calls_audit AFTER INSERT OR DELETE ON calls FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER tenant_integrations_audit AFTER INSERT OR UPDATE OR DELETE ON tenant_integrations FOR EACH ROW EXECUTE FUNCTION audit_row_change();

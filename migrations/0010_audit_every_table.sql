-- The id callers see is random: a global sequence would tell one tenant how much the others
-- change. The old numeric id stays as `seq`, which only orders rows written in the same
-- transaction (they share created_at) and is never shown.
ALTER TABLE "audit_logs" RENAME COLUMN "id" TO "seq";--> statement-breakpoint
ALTER SEQUENCE "audit_logs_id_seq" RENAME TO "audit_logs_seq_seq";--> statement-breakpoint
ALTER TABLE "audit_logs" DROP CONSTRAINT "audit_logs_pkey";--> statement-breakpoint
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_seq_unique" UNIQUE("seq");--> statement-breakpoint
ALTER TABLE "audit_logs" ADD COLUMN "id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_pkey" PRIMARY KEY("id");--> statement-breakpoint
DROP INDEX "audit_logs_tenant_created";--> statement-breakpoint
CREATE INDEX "audit_logs_tenant_created" ON "audit_logs" USING btree ("tenant_id","created_at" DESC NULLS LAST,"seq" DESC NULLS LAST);--> statement-breakpoint

-- A super admin reads the trail of the tenant it names and nothing else; it may still write rows
-- for a tenant it is not in (creating a tenant records that tenant's first rows).
DROP POLICY "tenant_isolation" ON "audit_logs" CASCADE;--> statement-breakpoint
CREATE POLICY "tenant_isolation_read" ON "audit_logs" AS PERMISSIVE FOR SELECT TO "qa_app" USING ("audit_logs"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "tenant_isolation_write" ON "audit_logs" AS PERMISSIVE FOR INSERT TO "qa_app" WITH CHECK ("audit_logs"."tenant_id" = (select current_tenant()) or (select current_actor_role()) = 'super_admin');--> statement-breakpoint

-- A value is kept in the trail as it is up to p_limit bytes of JSON. A larger one (a transcript's
-- text, an evaluation's results) is summarised by its size and SHA-256, so the trail records that
-- it changed, and can prove what it became, without holding a second copy of it.
CREATE FUNCTION audit_value(p_value jsonb, p_limit integer DEFAULT 1024) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
  SELECT CASE
    WHEN p_value IS NULL OR octet_length(p_value::text) <= p_limit THEN p_value
    ELSE jsonb_build_object('omitted', true, 'bytes', octet_length(p_value::text),
                            'sha256', encode(sha256(convert_to(p_value::text, 'UTF8')), 'hex'))
  END
$$;--> statement-breakpoint

-- The keys that differ between two objects, each as {from, to} with values up to 256 bytes.
CREATE FUNCTION audit_object_changes(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
  SELECT coalesce(jsonb_object_agg(k, jsonb_build_object('from', public.audit_value(p_old -> k, 256),
                                                         'to', public.audit_value(p_new -> k, 256))), '{}'::jsonb)
    FROM (SELECT jsonb_object_keys(p_old) UNION SELECT jsonb_object_keys(p_new)) AS keys(k)
   WHERE (p_old -> k) IS DISTINCT FROM (p_new -> k)
$$;--> statement-breakpoint

-- One changed column: {from, to}. When either side is too large to keep, also what changed inside
-- it: for objects the changed keys (`changes`); for arrays of unchanged length (a relabelled
-- transcript's utterances) the changed elements (`items`, at most 50, each with its index and its
-- changed keys) and how many changed in all (`items_changed`).
CREATE FUNCTION audit_value_change(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v_change jsonb := jsonb_build_object('from', public.audit_value(p_old), 'to', public.audit_value(p_new));
  v_count integer;
  v_items jsonb;
BEGIN
  IF octet_length(coalesce(p_old, 'null'::jsonb)::text) <= 1024 AND octet_length(coalesce(p_new, 'null'::jsonb)::text) <= 1024 THEN
    RETURN v_change;
  END IF;
  IF jsonb_typeof(p_old) = 'object' AND jsonb_typeof(p_new) = 'object' THEN
    RETURN v_change || jsonb_build_object('changes', public.audit_object_changes(p_old, p_new));
  END IF;
  IF jsonb_typeof(p_old) = 'array' AND jsonb_typeof(p_new) = 'array' AND jsonb_array_length(p_old) = jsonb_array_length(p_new) THEN
    SELECT count(*)::integer INTO v_count
      FROM jsonb_array_elements(p_old) WITH ORDINALITY AS o(v, i)
      JOIN jsonb_array_elements(p_new) WITH ORDINALITY AS n(v, i) ON n.i = o.i
     WHERE o.v IS DISTINCT FROM n.v;
    SELECT jsonb_agg(s.item ORDER BY s.i) INTO v_items
      FROM (SELECT o.i,
                   CASE WHEN jsonb_typeof(o.v) = 'object' AND jsonb_typeof(n.v) = 'object'
                        THEN jsonb_build_object('index', o.i - 1, 'changes', public.audit_object_changes(o.v, n.v))
                        ELSE jsonb_build_object('index', o.i - 1, 'from', public.audit_value(o.v, 256), 'to', public.audit_value(n.v, 256))
                   END AS item
              FROM jsonb_array_elements(p_old) WITH ORDINALITY AS o(v, i)
              JOIN jsonb_array_elements(p_new) WITH ORDINALITY AS n(v, i) ON n.i = o.i
             WHERE o.v IS DISTINCT FROM n.v
             ORDER BY o.i
             LIMIT 50) s;
    RETURN v_change || jsonb_build_object('items_changed', v_count, 'items', coalesce(v_items, '[]'::jsonb));
  END IF;
  RETURN v_change;
END
$$;--> statement-breakpoint

-- Every change to a tenant table leaves an audit row in the same transaction, with the actor
-- and request id from the context. An UPDATE that changes nothing leaves none. Secrets never reach
-- the trail, even encrypted; large values are summarised (audit_value, audit_value_change).
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_new jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'secret_ciphertext' END;
  v_old jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'secret_ciphertext' END;
  v_row jsonb := coalesce(v_new, v_old);
  v_changes jsonb;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT jsonb_object_agg(n.key, public.audit_value_change(v_old -> n.key, n.value))
      INTO v_changes
      FROM jsonb_each(v_new) n
     WHERE n.key <> 'updated_at' AND (v_old -> n.key) IS DISTINCT FROM n.value;
    IF v_changes IS NULL THEN
      RETURN NULL;
    END IF;
  ELSE
    SELECT jsonb_object_agg(r.key, public.audit_value(r.value))
      INTO v_changes
      FROM jsonb_each(v_row - 'created_at' - 'updated_at') r;
  END IF;
  INSERT INTO public.audit_logs (tenant_id, actor_id, actor_role, action, entity_type, entity_id, changes, request_id)
  VALUES (
    CASE WHEN TG_TABLE_NAME = 'tenants' THEN v_row ->> 'id' ELSE v_row ->> 'tenant_id' END,
    current_actor_id(),
    current_actor_role(),
    TG_TABLE_NAME || '.' || lower(TG_OP),
    TG_TABLE_NAME,
    CASE TG_TABLE_NAME
      WHEN 'transcripts' THEN v_row ->> 'call_id'
      WHEN 'dashboards' THEN v_row ->> 'user_id'
      ELSE coalesce(v_row ->> 'id', v_row ->> 'feature_key', v_row ->> 'category', v_row ->> 'provider')
    END,
    v_changes,
    current_request_id()
  );
  RETURN NULL;
END
$$;--> statement-breakpoint

CREATE TRIGGER transcripts_audit AFTER INSERT OR UPDATE OR DELETE ON transcripts FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER evaluations_audit AFTER INSERT OR UPDATE OR DELETE ON evaluations FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER insights_audit AFTER INSERT OR UPDATE OR DELETE ON insights FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER dashboards_audit AFTER INSERT OR UPDATE OR DELETE ON dashboards FOR EACH ROW EXECUTE FUNCTION audit_row_change();

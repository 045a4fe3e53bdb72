CREATE TABLE "coach_assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"course_id" uuid NOT NULL,
	"course_version" integer NOT NULL,
	"agent_id" uuid NOT NULL,
	"assigned_by" text,
	"due_date" date,
	"priority" text DEFAULT 'normal' NOT NULL,
	"reason" text DEFAULT 'manual' NOT NULL,
	"rule_id" uuid,
	"trigger_evaluation_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"status" text DEFAULT 'assigned' NOT NULL,
	"progress" numeric(5, 4) DEFAULT 0 NOT NULL,
	"score_scaled" numeric(5, 4),
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coach_assignments_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "coach_assignments_tenant_id_agent" UNIQUE("tenant_id","id","agent_id"),
	CONSTRAINT "coach_assignments_status" CHECK ("coach_assignments"."status" in ('assigned', 'in_progress', 'completed', 'cancelled')),
	CONSTRAINT "coach_assignments_priority" CHECK ("coach_assignments"."priority" in ('low', 'normal', 'high')),
	CONSTRAINT "coach_assignments_reason" CHECK ("coach_assignments"."reason" in ('manual', 'rule', 'generated')),
	CONSTRAINT "coach_assignments_progress" CHECK ("coach_assignments"."progress" between 0 and 1),
	CONSTRAINT "coach_assignments_completed" CHECK (("coach_assignments"."status" = 'completed') = ("coach_assignments"."completed_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "coach_assignments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "coach_progress" (
	"tenant_id" text NOT NULL,
	"assignment_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"module_id" uuid NOT NULL,
	"lesson_id" uuid NOT NULL,
	"status" text DEFAULT 'not_started' NOT NULL,
	"progress" numeric(5, 4) DEFAULT 0 NOT NULL,
	"score_scaled" numeric(5, 4),
	"success" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"time_spent_seconds" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coach_progress_tenant_id_assignment_id_lesson_id_pk" PRIMARY KEY("tenant_id","assignment_id","lesson_id"),
	CONSTRAINT "coach_progress_status" CHECK ("coach_progress"."status" in ('not_started', 'in_progress', 'completed')),
	CONSTRAINT "coach_progress_success" CHECK ("coach_progress"."success" is null or "coach_progress"."success" in ('passed', 'failed')),
	CONSTRAINT "coach_progress_range" CHECK ("coach_progress"."progress" between 0 and 1 and ("coach_progress"."score_scaled" is null or "coach_progress"."score_scaled" between 0 and 1)),
	CONSTRAINT "coach_progress_counters" CHECK ("coach_progress"."attempts" >= 0 and "coach_progress"."time_spent_seconds" >= 0)
);
--> statement-breakpoint
ALTER TABLE "coach_progress" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "coach_rule_firings" (
	"tenant_id" text NOT NULL,
	"rule_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"outcome" text NOT NULL,
	"assignment_id" uuid,
	"fired_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coach_rule_firings_tenant_id_rule_id_agent_id_evaluation_id_pk" PRIMARY KEY("tenant_id","rule_id","agent_id","evaluation_id")
);
--> statement-breakpoint
ALTER TABLE "coach_rule_firings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "coach_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"criterion_id" text NOT NULL,
	"condition" text NOT NULL,
	"fail_count" integer,
	"threshold_pct" integer,
	"window_days" integer,
	"min_evaluations" integer,
	"action" text NOT NULL,
	"course_id" uuid,
	"cooldown_days" integer DEFAULT 14 NOT NULL,
	"due_in_days" integer DEFAULT 14 NOT NULL,
	"priority" text DEFAULT 'normal' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coach_rules_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "coach_rules_tenant_name" UNIQUE("tenant_id","name"),
	CONSTRAINT "coach_rules_condition" CHECK (("coach_rules"."condition" = 'consecutive_fails' and "coach_rules"."fail_count" between 1 and 50)
       or ("coach_rules"."condition" = 'average_below' and "coach_rules"."threshold_pct" between 1 and 100 and "coach_rules"."window_days" between 1 and 365
           and "coach_rules"."min_evaluations" between 1 and 1000)),
	CONSTRAINT "coach_rules_action" CHECK (("coach_rules"."action" = 'assign_course' and "coach_rules"."course_id" is not null) or ("coach_rules"."action" = 'generate_course' and "coach_rules"."course_id" is null)),
	CONSTRAINT "coach_rules_days" CHECK ("coach_rules"."cooldown_days" between 0 and 365 and "coach_rules"."due_in_days" between 1 and 365)
);
--> statement-breakpoint
ALTER TABLE "coach_rules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "criterion_results" (
	"tenant_id" text NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"agent_id" uuid,
	"criterion_id" text NOT NULL,
	"criterion_name" text NOT NULL,
	"category" text NOT NULL,
	"score" integer NOT NULL,
	"max_points" integer NOT NULL,
	"passed" boolean NOT NULL,
	"scored_at" timestamp with time zone DEFAULT now() NOT NULL,
	"current" boolean DEFAULT true NOT NULL,
	CONSTRAINT "criterion_results_tenant_id_evaluation_id_criterion_id_pk" PRIMARY KEY("tenant_id","evaluation_id","criterion_id"),
	CONSTRAINT "criterion_results_points" CHECK ("criterion_results"."score" between 0 and "criterion_results"."max_points")
);
--> statement-breakpoint
ALTER TABLE "criterion_results" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "coach_lessons" ADD CONSTRAINT "coach_lessons_tenant_course_module_id" UNIQUE("tenant_id","course_id","module_id","id");--> statement-breakpoint
ALTER TABLE "coach_assignments" ADD CONSTRAINT "coach_assignments_course_fk" FOREIGN KEY ("tenant_id","course_id") REFERENCES "public"."coach_courses"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_assignments" ADD CONSTRAINT "coach_assignments_agent_fk" FOREIGN KEY ("tenant_id","agent_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_progress" ADD CONSTRAINT "coach_progress_assignment_fk" FOREIGN KEY ("tenant_id","assignment_id","agent_id") REFERENCES "public"."coach_assignments"("tenant_id","id","agent_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_progress" ADD CONSTRAINT "coach_progress_lesson_fk" FOREIGN KEY ("tenant_id","course_id","module_id","lesson_id") REFERENCES "public"."coach_lessons"("tenant_id","course_id","module_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_rule_firings" ADD CONSTRAINT "coach_rule_firings_assignment_fk" FOREIGN KEY ("tenant_id","assignment_id") REFERENCES "public"."coach_assignments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_rule_firings" ADD CONSTRAINT "coach_rule_firings_rule_fk" FOREIGN KEY ("tenant_id","rule_id") REFERENCES "public"."coach_rules"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_rules" ADD CONSTRAINT "coach_rules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_rules" ADD CONSTRAINT "coach_rules_course_fk" FOREIGN KEY ("tenant_id","course_id") REFERENCES "public"."coach_courses"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "criterion_results" ADD CONSTRAINT "criterion_results_evaluation_fk" FOREIGN KEY ("tenant_id","evaluation_id") REFERENCES "public"."evaluations"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "coach_assignments_one_open" ON "coach_assignments" USING btree ("tenant_id","agent_id","course_id") WHERE "coach_assignments"."status" in ('assigned', 'in_progress');--> statement-breakpoint
CREATE INDEX "coach_assignments_agent" ON "coach_assignments" USING btree ("tenant_id","agent_id","status");--> statement-breakpoint
CREATE INDEX "coach_assignments_course" ON "coach_assignments" USING btree ("tenant_id","course_id");--> statement-breakpoint
CREATE INDEX "coach_rule_firings_cooldown" ON "coach_rule_firings" USING btree ("tenant_id","rule_id","agent_id","fired_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "coach_rules_tenant_criterion" ON "coach_rules" USING btree ("tenant_id","criterion_id") WHERE "coach_rules"."enabled";--> statement-breakpoint
-- Covering (INCLUDE, which drizzle-kit cannot express): skill gaps and rule checks read the points from the index alone.
CREATE INDEX "criterion_results_agent" ON "criterion_results" USING btree ("tenant_id","agent_id","criterion_id","scored_at" DESC NULLS LAST) INCLUDE ("score","max_points","passed") WHERE "criterion_results"."current";--> statement-breakpoint
CREATE INDEX "criterion_results_tenant" ON "criterion_results" USING btree ("tenant_id","scored_at" DESC NULLS LAST) WHERE "criterion_results"."current";--> statement-breakpoint
CREATE INDEX "criterion_results_call" ON "criterion_results" USING btree ("tenant_id","call_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "coach_assignments" AS PERMISSIVE FOR ALL TO "qa_app" USING ("coach_assignments"."tenant_id" = (select current_tenant())) WITH CHECK ("coach_assignments"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_assignments" ON "coach_assignments" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "coach_assignments"."agent_id"::text = (select current_actor_id())) WITH CHECK ((select current_actor_role()) is distinct from 'agent' or "coach_assignments"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "coach_progress" AS PERMISSIVE FOR ALL TO "qa_app" USING ("coach_progress"."tenant_id" = (select current_tenant())) WITH CHECK ("coach_progress"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_progress" ON "coach_progress" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "coach_progress"."agent_id"::text = (select current_actor_id())) WITH CHECK ((select current_actor_role()) is distinct from 'agent' or "coach_progress"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "coach_rule_firings" AS PERMISSIVE FOR ALL TO "qa_app" USING ("coach_rule_firings"."tenant_id" = (select current_tenant())) WITH CHECK ("coach_rule_firings"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "coach_rules" AS PERMISSIVE FOR ALL TO "qa_app" USING ("coach_rules"."tenant_id" = (select current_tenant())) WITH CHECK ("coach_rules"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "criterion_results" AS PERMISSIVE FOR ALL TO "qa_app" USING ("criterion_results"."tenant_id" = (select current_tenant())) WITH CHECK ("criterion_results"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_results" ON "criterion_results" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "criterion_results"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
ALTER POLICY "agents_published_courses" ON "coach_courses" TO qa_app USING ((select current_actor_role()) is distinct from 'agent' or "coach_courses"."status" = 'published' or exists (select 1 from coach_assignments a where a.tenant_id = "coach_courses"."tenant_id" and a.course_id = "coach_courses"."id" and a.agent_id::text = (select current_actor_id()) and a.status <> 'cancelled'));--> statement-breakpoint

-- Criterion results of the evaluations scored before this table existed; the latest scoring of
-- each call is the current one. Run before FORCE, while the owner still bypasses the policies.
INSERT INTO criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category, score, max_points, passed, scored_at, current)
SELECT e.tenant_id, e.id, e.call_id, c.agent_id, r.criterion_id, coalesce(r.name, r.criterion_id), coalesce(s.category, 'general'),
       least(greatest(coalesce(r.score, 0), 0), coalesce(r.max_points, 0)), coalesce(r.max_points, 0), coalesce(r.passed, false), e.created_at,
       e.id = (SELECT l.id FROM evaluations l WHERE l.tenant_id = e.tenant_id AND l.call_id = e.call_id ORDER BY l.created_at DESC, l.id DESC LIMIT 1)
FROM evaluations e
JOIN calls c ON c.tenant_id = e.tenant_id AND c.id = e.call_id
CROSS JOIN LATERAL jsonb_to_recordset(e.results) AS r(criterion_id text, name text, score int, max_points int, passed boolean)
LEFT JOIN LATERAL (SELECT x ->> 'category' AS category FROM jsonb_array_elements(e.criteria_snapshot) x WHERE x ->> 'id' = r.criterion_id LIMIT 1) s ON true
WHERE r.criterion_id IS NOT NULL
ON CONFLICT DO NOTHING;--> statement-breakpoint

-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses the policies.
ALTER TABLE criterion_results FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE coach_assignments FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE coach_progress FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE coach_rules FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE coach_rule_firings FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON criterion_results, coach_assignments, coach_progress, coach_rules TO qa_app;--> statement-breakpoint
-- Firings are a ledger: written once, never changed.
GRANT SELECT, INSERT ON coach_rule_firings TO qa_app;--> statement-breakpoint
CREATE TRIGGER coach_assignments_touch BEFORE UPDATE ON coach_assignments FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER coach_progress_touch BEFORE UPDATE ON coach_progress FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER coach_rules_touch BEFORE UPDATE ON coach_rules FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
-- criterion_results is a projection of evaluations, which are audited in the same statement; the
-- rest leave an audit row per change.
CREATE TRIGGER coach_assignments_audit AFTER INSERT OR UPDATE OR DELETE ON coach_assignments FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER coach_progress_audit AFTER INSERT OR UPDATE OR DELETE ON coach_progress FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER coach_rules_audit AFTER INSERT OR UPDATE OR DELETE ON coach_rules FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER coach_rule_firings_audit AFTER INSERT OR UPDATE OR DELETE ON coach_rule_firings FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint

-- The audit trail names progress by its assignment and a firing by its rule (neither has an id).
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
      WHEN 'coach_progress' THEN v_row ->> 'assignment_id'
      WHEN 'coach_rule_firings' THEN v_row ->> 'rule_id'
      ELSE coalesce(v_row ->> 'id', v_row ->> 'feature_key', v_row ->> 'category', v_row ->> 'provider')
    END,
    v_changes,
    current_request_id()
  );
  RETURN NULL;
END
$$;--> statement-breakpoint

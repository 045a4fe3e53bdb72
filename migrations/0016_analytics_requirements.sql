CREATE TABLE "analytics_daily_requirements" (
	"tenant_id" text NOT NULL,
	"day" date NOT NULL,
	"agent_id" uuid NOT NULL,
	"requirement_id" text NOT NULL,
	"requirement" text NOT NULL,
	"severity" text,
	"checked" integer DEFAULT 0 NOT NULL,
	"violations" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_daily_requirements_tenant_id_day_agent_id_requirement_id_pk" PRIMARY KEY("tenant_id","day","agent_id","requirement_id")
);
--> statement-breakpoint
ALTER TABLE "analytics_daily_requirements" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE INDEX "analytics_daily_requirements_agent" ON "analytics_daily_requirements" USING btree ("tenant_id","agent_id","day");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "analytics_daily_requirements" AS PERMISSIVE FOR ALL TO "qa_app" USING ("analytics_daily_requirements"."tenant_id" = (select current_tenant())) WITH CHECK ("analytics_daily_requirements"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_daily_requirements" ON "analytics_daily_requirements" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "analytics_daily_requirements"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint

-- An evaluation's compliance items as rollup rows: judged (met or not met; not applicable is not
-- counted) and violated. One definition for the writers and the backfill.
CREATE FUNCTION analytics_requirement_rows(p_items jsonb)
RETURNS TABLE (requirement_id text, requirement text, severity text, violated boolean)
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce((i ->> 'template_id') || '/' || (i ->> 'requirement_key'), i ->> 'requirement'),
         coalesce(i ->> 'title', i ->> 'requirement', i ->> 'requirement_key'),
         i ->> 'severity',
         (i ->> 'met') = 'false'
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_items) = 'array' THEN p_items ELSE '[]'::jsonb END) i
   WHERE coalesce(i ->> 'status', '') <> 'not_applicable'
     AND coalesce((i ->> 'template_id') || '/' || (i ->> 'requirement_key'), i ->> 'requirement') IS NOT NULL
$$;--> statement-breakpoint
-- The evaluations already counted (those holding their call's current criterion results), on the
-- day and agent their call counts on. Runs before FORCE, while the owner bypasses the policies.
INSERT INTO analytics_daily_requirements (tenant_id, day, agent_id, requirement_id, requirement, severity, checked, violations)
SELECT e.tenant_id, f.day, f.agent_id, r.requirement_id, max(r.requirement), max(r.severity), count(*), count(*) FILTER (WHERE r.violated)
  FROM evaluations e
  JOIN analytics_call_facts f ON f.tenant_id = e.tenant_id AND f.call_id = e.call_id
  CROSS JOIN LATERAL analytics_requirement_rows(e.compliance) r
 WHERE EXISTS (SELECT 1 FROM criterion_results cr WHERE cr.tenant_id = e.tenant_id AND cr.evaluation_id = e.id AND cr.current)
 GROUP BY e.tenant_id, f.day, f.agent_id, r.requirement_id;--> statement-breakpoint
-- Derived counters moved in the same statement as the audited evaluations: not audited themselves.
ALTER TABLE analytics_daily_requirements FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON analytics_daily_requirements TO qa_app;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION analytics_requirement_rows(jsonb) TO qa_app;

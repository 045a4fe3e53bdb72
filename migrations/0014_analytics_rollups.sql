CREATE TABLE "analytics_call_facts" (
	"tenant_id" text NOT NULL,
	"call_id" uuid NOT NULL,
	"day" date NOT NULL,
	"agent_id" uuid NOT NULL,
	"scored" boolean DEFAULT false NOT NULL,
	"failed" boolean DEFAULT false NOT NULL,
	"score" integer,
	"passed" boolean DEFAULT false NOT NULL,
	"auto_failed" boolean DEFAULT false NOT NULL,
	"compliant" boolean DEFAULT false NOT NULL,
	"sentiment" text,
	CONSTRAINT "analytics_call_facts_tenant_id_call_id_pk" PRIMARY KEY("tenant_id","call_id")
);
--> statement-breakpoint
ALTER TABLE "analytics_call_facts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "analytics_daily" (
	"tenant_id" text NOT NULL,
	"day" date NOT NULL,
	"agent_id" uuid NOT NULL,
	"received" integer DEFAULT 0 NOT NULL,
	"scored" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"score_sum" bigint DEFAULT 0 NOT NULL,
	"passed" integer DEFAULT 0 NOT NULL,
	"auto_failed" integer DEFAULT 0 NOT NULL,
	"compliant" integer DEFAULT 0 NOT NULL,
	"sentiment_positive" integer DEFAULT 0 NOT NULL,
	"sentiment_neutral" integer DEFAULT 0 NOT NULL,
	"sentiment_negative" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_daily_tenant_id_day_agent_id_pk" PRIMARY KEY("tenant_id","day","agent_id")
);
--> statement-breakpoint
ALTER TABLE "analytics_daily" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "analytics_daily_criteria" (
	"tenant_id" text NOT NULL,
	"day" date NOT NULL,
	"agent_id" uuid NOT NULL,
	"criterion_id" text NOT NULL,
	"criterion_name" text NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	"points" bigint DEFAULT 0 NOT NULL,
	"max_points" bigint DEFAULT 0 NOT NULL,
	"passed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_daily_criteria_tenant_id_day_agent_id_criterion_id_pk" PRIMARY KEY("tenant_id","day","agent_id","criterion_id")
);
--> statement-breakpoint
ALTER TABLE "analytics_daily_criteria" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "analytics_call_facts" ADD CONSTRAINT "analytics_call_facts_call_fk" FOREIGN KEY ("tenant_id","call_id") REFERENCES "public"."calls"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "analytics_daily_agent" ON "analytics_daily" USING btree ("tenant_id","agent_id","day");--> statement-breakpoint
CREATE INDEX "analytics_daily_criteria_agent" ON "analytics_daily_criteria" USING btree ("tenant_id","agent_id","day");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "analytics_call_facts" AS PERMISSIVE FOR ALL TO "qa_app" USING ("analytics_call_facts"."tenant_id" = (select current_tenant())) WITH CHECK ("analytics_call_facts"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_facts" ON "analytics_call_facts" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "analytics_call_facts"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "analytics_daily" AS PERMISSIVE FOR ALL TO "qa_app" USING ("analytics_daily"."tenant_id" = (select current_tenant())) WITH CHECK ("analytics_daily"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_daily" ON "analytics_daily" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "analytics_daily"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "analytics_daily_criteria" AS PERMISSIVE FOR ALL TO "qa_app" USING ("analytics_daily_criteria"."tenant_id" = (select current_tenant())) WITH CHECK ("analytics_daily_criteria"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_daily_criteria" ON "analytics_daily_criteria" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "analytics_daily_criteria"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
-- The day a call counts on: its start (else its arrival) in the time zone of its agent's
-- organization, else the tenant's `general.timezone` setting, else its first organization's,
-- else UTC. Stored with the call's contribution, so reads compare plain dates and never convert.
-- SECURITY INVOKER: it reads through the caller's policies, and names the tenant in every lookup.
CREATE OR REPLACE FUNCTION analytics_time_zone(p_tenant text, p_agent uuid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = public, pg_catalog AS $$
DECLARE
  tz text;
BEGIN
  IF p_agent IS NOT NULL THEN
    SELECT o.timezone INTO tz FROM users u
      JOIN organizations o ON o.tenant_id = u.tenant_id AND o.id = u.organization_id
     WHERE u.tenant_id = p_tenant AND u.id = p_agent;
  END IF;
  IF tz IS NULL THEN
    SELECT s."values" ->> 'timezone' INTO tz FROM settings s WHERE s.tenant_id = p_tenant AND s.category = 'general';
  END IF;
  IF tz IS NULL THEN
    SELECT o.timezone INTO tz FROM organizations o WHERE o.tenant_id = p_tenant ORDER BY o.created_at, o.id LIMIT 1;
  END IF;
  -- A setting that names no zone must not stop a call from being recorded.
  BEGIN
    PERFORM now() AT TIME ZONE coalesce(tz, 'UTC');
  EXCEPTION WHEN invalid_parameter_value THEN
    tz := 'UTC';
  END;
  RETURN coalesce(tz, 'UTC');
END
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION analytics_day(p_tenant text, p_agent uuid, p_at timestamptz) RETURNS date
LANGUAGE sql STABLE SET search_path = public, pg_catalog AS $$
  SELECT (p_at AT TIME ZONE analytics_time_zone(p_tenant, p_agent))::date
$$;--> statement-breakpoint
-- A scored call passes at this overall score or above (and not auto-failed): the tenant's
-- `qa.passing_score`, else 70.
CREATE OR REPLACE FUNCTION analytics_passing_score(p_tenant text) RETURNS numeric
LANGUAGE sql STABLE SET search_path = public, pg_catalog AS $$
  SELECT coalesce((SELECT CASE WHEN jsonb_typeof(s."values" -> 'passing_score') = 'number'
                               THEN (s."values" ->> 'passing_score')::numeric END
                     FROM settings s WHERE s.tenant_id = p_tenant AND s.category = 'qa'), 70)
$$;--> statement-breakpoint
-- The calls already recorded, counted once as the writers would have counted them. Runs before
-- FORCE, while the owner still bypasses the policies. 'uploaded' calls are not received yet.
INSERT INTO analytics_call_facts (tenant_id, call_id, day, agent_id, scored, failed, score, passed, auto_failed, compliant, sentiment)
SELECT c.tenant_id, c.id, analytics_day(c.tenant_id, c.agent_id, coalesce(c.started_at, c.created_at)),
       coalesce(c.agent_id, '00000000-0000-0000-0000-000000000000'),
       c.status = 'completed' AND e.id IS NOT NULL, c.status = 'failed',
       CASE WHEN c.status = 'completed' THEN c.overall_score END,
       c.status = 'completed' AND NOT coalesce(e.auto_failed, false) AND c.overall_score >= analytics_passing_score(c.tenant_id),
       c.status = 'completed' AND coalesce(e.auto_failed, false),
       c.status = 'completed' AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(e.compliance) i WHERE i ->> 'met' = 'false'),
       CASE WHEN c.status = 'completed' THEN e.sentiment ->> 'overall' END
  FROM calls c
  LEFT JOIN LATERAL (SELECT ev.id, ev.auto_failed, ev.compliance, ev.sentiment FROM evaluations ev
                      WHERE ev.tenant_id = c.tenant_id AND ev.call_id = c.id ORDER BY ev.created_at DESC LIMIT 1) e ON true
 WHERE c.status <> 'uploaded';--> statement-breakpoint
INSERT INTO analytics_daily (tenant_id, day, agent_id, received, scored, failed, score_sum, passed, auto_failed, compliant,
                             sentiment_positive, sentiment_neutral, sentiment_negative)
SELECT tenant_id, day, agent_id, count(*), count(*) FILTER (WHERE scored), count(*) FILTER (WHERE failed),
       coalesce(sum(score) FILTER (WHERE scored), 0), count(*) FILTER (WHERE passed), count(*) FILTER (WHERE auto_failed),
       count(*) FILTER (WHERE compliant), count(*) FILTER (WHERE sentiment = 'positive'),
       count(*) FILTER (WHERE sentiment = 'neutral'), count(*) FILTER (WHERE sentiment = 'negative')
  FROM analytics_call_facts GROUP BY tenant_id, day, agent_id;--> statement-breakpoint
INSERT INTO analytics_daily_criteria (tenant_id, day, agent_id, criterion_id, criterion_name, n, points, max_points, passed)
SELECT r.tenant_id, f.day, f.agent_id, r.criterion_id, max(r.criterion_name), count(*), sum(r.score), sum(r.max_points),
       count(*) FILTER (WHERE r.passed)
  FROM criterion_results r
  JOIN analytics_call_facts f ON f.tenant_id = r.tenant_id AND f.call_id = r.call_id
 WHERE r.current
 GROUP BY r.tenant_id, f.day, f.agent_id, r.criterion_id;--> statement-breakpoint
-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses the policies.
ALTER TABLE analytics_call_facts FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE analytics_daily FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE analytics_daily_criteria FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON analytics_call_facts, analytics_daily, analytics_daily_criteria TO qa_app;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION analytics_time_zone(text, uuid), analytics_day(text, uuid, timestamptz), analytics_passing_score(text) TO qa_app;
-- No audit triggers: these rows are derived counters, moved in the same statement as the audited
-- change they count (calls, evaluations), and rebuildable from them; auditing them would double
-- the trail of every evaluation without recording anything a person did.

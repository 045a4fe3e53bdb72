CREATE TABLE "evaluation_review_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"review_id" uuid NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"agent_id" uuid,
	"criterion_id" text NOT NULL,
	"max_points" integer NOT NULL,
	"score" integer NOT NULL,
	"passed" boolean NOT NULL,
	"auto_failed" boolean NOT NULL,
	"comment" text,
	"confirmed" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"source_id" uuid,
	"reviewed_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "evaluation_review_items_criterion" UNIQUE("tenant_id","evaluation_id","criterion_id"),
	CONSTRAINT "evaluation_review_items_points" CHECK ("evaluation_review_items"."score" between 0 and "evaluation_review_items"."max_points"),
	CONSTRAINT "evaluation_review_items_source" CHECK ("evaluation_review_items"."source" in ('review', 'dispute'))
);
--> statement-breakpoint
ALTER TABLE "evaluation_review_items" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "evaluation_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"agent_id" uuid,
	"overall_score" integer NOT NULL,
	"auto_failed" boolean NOT NULL,
	"comment" text,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "evaluation_reviews_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "evaluation_reviews_evaluation" UNIQUE("tenant_id","evaluation_id"),
	CONSTRAINT "evaluation_reviews_score" CHECK ("evaluation_reviews"."overall_score" between 0 and 100)
);
--> statement-breakpoint
ALTER TABLE "evaluation_reviews" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP INDEX "criterion_results_agent";--> statement-breakpoint
DROP INDEX "criterion_results_tenant";--> statement-breakpoint
ALTER TABLE "criterion_results" ALTER COLUMN "score" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "criterion_results" ALTER COLUMN "passed" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "evaluations" ALTER COLUMN "overall_score" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "evaluations" ALTER COLUMN "auto_failed" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "evaluations" ALTER COLUMN "model" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "criteria_sets" ADD COLUMN "grading_mode" text DEFAULT 'ai_auto' NOT NULL;--> statement-breakpoint
ALTER TABLE "criterion_results" ADD COLUMN "auto_failed" boolean;--> statement-breakpoint
ALTER TABLE "criterion_results" ADD COLUMN "effective_score" integer;--> statement-breakpoint
ALTER TABLE "criterion_results" ADD COLUMN "effective_passed" boolean;--> statement-breakpoint
ALTER TABLE "criterion_results" ADD COLUMN "effective_auto_failed" boolean;--> statement-breakpoint
ALTER TABLE "criterion_results" ADD COLUMN "released" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "evaluations" ADD COLUMN "grading_mode" text DEFAULT 'ai_auto' NOT NULL;--> statement-breakpoint
ALTER TABLE "evaluations" ADD COLUMN "current" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "evaluations" ADD COLUMN "released_at" timestamp with time zone DEFAULT now();--> statement-breakpoint
ALTER TABLE "evaluation_review_items" ADD CONSTRAINT "evaluation_review_items_review_fk" FOREIGN KEY ("tenant_id","review_id") REFERENCES "public"."evaluation_reviews"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_review_items" ADD CONSTRAINT "evaluation_review_items_result_fk" FOREIGN KEY ("tenant_id","evaluation_id","criterion_id") REFERENCES "public"."criterion_results"("tenant_id","evaluation_id","criterion_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_reviews" ADD CONSTRAINT "evaluation_reviews_evaluation_fk" FOREIGN KEY ("tenant_id","evaluation_id") REFERENCES "public"."evaluations"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "evaluation_review_items_review" ON "evaluation_review_items" USING btree ("tenant_id","review_id");--> statement-breakpoint
CREATE INDEX "evaluation_reviews_updated" ON "evaluation_reviews" USING btree ("tenant_id","updated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "evaluations_waiting" ON "evaluations" USING btree ("tenant_id","created_at") WHERE "evaluations"."current" and "evaluations"."released_at" is null;--> statement-breakpoint
-- Covering (INCLUDE, which drizzle-kit cannot express): skill gaps and rule checks read the effective points from the index alone.
CREATE INDEX "criterion_results_agent" ON "criterion_results" USING btree ("tenant_id","agent_id","criterion_id","scored_at" DESC NULLS LAST) INCLUDE ("effective_score","max_points","effective_passed") WHERE "criterion_results"."current" and "criterion_results"."released";--> statement-breakpoint
CREATE INDEX "criterion_results_tenant" ON "criterion_results" USING btree ("tenant_id","scored_at" DESC NULLS LAST) WHERE "criterion_results"."current" and "criterion_results"."released";--> statement-breakpoint
ALTER TABLE "criteria_sets" ADD CONSTRAINT "criteria_sets_grading_mode" CHECK ("criteria_sets"."grading_mode" in ('ai_auto', 'ai_review', 'manual'));--> statement-breakpoint
ALTER TABLE "criterion_results" ADD CONSTRAINT "criterion_results_effective_points" CHECK ("criterion_results"."effective_score" between 0 and "criterion_results"."max_points");--> statement-breakpoint
ALTER TABLE "criterion_results" ADD CONSTRAINT "criterion_results_released_scored" CHECK (not "criterion_results"."released" or ("criterion_results"."effective_score" is not null and "criterion_results"."effective_passed" is not null));--> statement-breakpoint
ALTER TABLE "evaluations" ADD CONSTRAINT "evaluations_grading_mode" CHECK ("evaluations"."grading_mode" in ('ai_auto', 'ai_review', 'manual'));--> statement-breakpoint
CREATE POLICY "agents_released_results" ON "criterion_results" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "criterion_results"."released");--> statement-breakpoint
CREATE POLICY "agents_released_evaluations" ON "evaluations" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent'
        or ("evaluations"."released_at" is not null and exists (select 1 from calls c where c.id = "evaluations"."call_id")));--> statement-breakpoint
CREATE POLICY "agents_released_insights" ON "insights" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent'
        or exists (select 1 from evaluations e where e.id = "insights"."evaluation_id"));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "evaluation_review_items" AS PERMISSIVE FOR ALL TO "qa_app" USING ("evaluation_review_items"."tenant_id" = (select current_tenant())) WITH CHECK ("evaluation_review_items"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_read_released_reviews" ON "evaluation_review_items" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or ("evaluation_review_items"."agent_id"::text = (select current_actor_id())
      and exists (select 1 from evaluations e where e.id = "evaluation_review_items"."evaluation_id"))) WITH CHECK ((select current_actor_role()) is distinct from 'agent');--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "evaluation_reviews" AS PERMISSIVE FOR ALL TO "qa_app" USING ("evaluation_reviews"."tenant_id" = (select current_tenant())) WITH CHECK ("evaluation_reviews"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_read_released_reviews" ON "evaluation_reviews" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or ("evaluation_reviews"."agent_id"::text = (select current_actor_id())
      and exists (select 1 from evaluations e where e.id = "evaluation_reviews"."evaluation_id"))) WITH CHECK ((select current_actor_role()) is distinct from 'agent');--> statement-breakpoint

-- hand-written below
-- Every scoring so far was made in ai_auto and released when it was scored; the latest of each
-- call is its current one. Without its audit trigger: this records no one's change.
ALTER TABLE evaluations DISABLE TRIGGER evaluations_audit;--> statement-breakpoint
UPDATE evaluations e
   SET released_at = e.created_at,
       current = e.id = (SELECT l.id FROM evaluations l WHERE l.tenant_id = e.tenant_id AND l.call_id = e.call_id
                          ORDER BY l.created_at DESC, l.id DESC LIMIT 1);--> statement-breakpoint
ALTER TABLE evaluations ENABLE TRIGGER evaluations_audit;--> statement-breakpoint
-- The model's auto-fail per criterion (kept in the evaluation's results until now), and the
-- effective values: the model's, since nothing was reviewed before.
UPDATE criterion_results r
   SET auto_failed = coalesce((SELECT coalesce((x ->> 'auto_fail')::boolean, false) AND coalesce((x ->> 'auto_fail_triggered')::boolean, false)
                                 FROM evaluations e CROSS JOIN LATERAL jsonb_array_elements(e.results) x
                                WHERE e.tenant_id = r.tenant_id AND e.id = r.evaluation_id AND x ->> 'criterion_id' = r.criterion_id
                                LIMIT 1), false),
       effective_score = r.score,
       effective_passed = r.passed;--> statement-breakpoint
UPDATE criterion_results SET effective_auto_failed = auto_failed;--> statement-breakpoint

-- A new result's effective values are the model's until a human scores the criterion.
CREATE FUNCTION criterion_result_effective() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.score IS NOT NULL THEN
    NEW.auto_failed := coalesce(NEW.auto_failed, false);
  END IF;
  NEW.effective_score := coalesce(NEW.effective_score, NEW.score);
  NEW.effective_passed := coalesce(NEW.effective_passed, NEW.passed);
  NEW.effective_auto_failed := coalesce(NEW.effective_auto_failed, NEW.auto_failed);
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER criterion_results_effective BEFORE INSERT ON criterion_results FOR EACH ROW EXECUTE FUNCTION criterion_result_effective();--> statement-breakpoint

-- The overall score of a scoring from its criteria ([{score, max_points, auto_failed}]): points
-- earned over points possible as a percentage, rounded half up; 0 when an auto-fail criterion was
-- triggered (auto_failed is then true). The evaluate step and every review score with this one.
CREATE FUNCTION qa_overall_score(p_criteria jsonb) RETURNS TABLE (score int, auto_failed boolean)
LANGUAGE sql IMMUTABLE SET search_path = public, pg_catalog AS $$
  SELECT CASE WHEN coalesce(bool_or(x.auto_failed), false) OR coalesce(sum(x.max_points), 0) = 0 THEN 0
              ELSE round(100.0 * sum(least(x.score, x.max_points)) / sum(x.max_points))::int END,
         coalesce(bool_or(x.auto_failed), false)
    FROM jsonb_to_recordset(CASE WHEN jsonb_typeof(p_criteria) = 'array' THEN p_criteria ELSE '[]'::jsonb END)
      AS x(score int, max_points int, auto_failed boolean)
$$;--> statement-breakpoint
-- A scoring is compliant when none of its compliance items is unmet (not applicable is not unmet).
CREATE FUNCTION analytics_compliant(p_items jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = public, pg_catalog AS $$
  SELECT NOT EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_items) = 'array' THEN p_items ELSE '[]'::jsonb END) i
                      WHERE i ->> 'met' = 'false')
$$;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION qa_overall_score(jsonb), analytics_compliant(jsonb) TO qa_app;--> statement-breakpoint

-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses the policies.
ALTER TABLE evaluation_reviews FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE evaluation_review_items FORCE ROW LEVEL SECURITY;--> statement-breakpoint
-- Reviews are replaced, never deleted; they go with their evaluation (a cascade runs as the owner).
GRANT SELECT, INSERT, UPDATE ON evaluation_reviews, evaluation_review_items TO qa_app;--> statement-breakpoint
CREATE TRIGGER evaluation_reviews_touch BEFORE UPDATE ON evaluation_reviews FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER evaluation_review_items_touch BEFORE UPDATE ON evaluation_review_items FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
-- The trail of every human score: who gave which value when, and what it replaced.
CREATE TRIGGER evaluation_reviews_audit AFTER INSERT OR UPDATE OR DELETE ON evaluation_reviews FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER evaluation_review_items_audit AFTER INSERT OR UPDATE OR DELETE ON evaluation_review_items FOR EACH ROW EXECUTE FUNCTION audit_row_change();

CREATE TABLE "calibration_scores" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"session_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"grader_id" uuid NOT NULL,
	"criterion_id" text NOT NULL,
	"score" integer NOT NULL,
	"max_points" integer NOT NULL,
	"passed" boolean NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calibration_scores_one" UNIQUE("tenant_id","session_id","call_id","grader_id","criterion_id"),
	CONSTRAINT "calibration_scores_points" CHECK ("calibration_scores"."max_points" between 1 and 100 and "calibration_scores"."score" between 0 and "calibration_scores"."max_points"),
	CONSTRAINT "calibration_scores_comment" CHECK ("calibration_scores"."comment" is null or length("calibration_scores"."comment") <= 2000)
);
--> statement-breakpoint
ALTER TABLE "calibration_scores" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "calibration_session_calls" (
	"tenant_id" text NOT NULL,
	"session_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "calibration_session_calls_tenant_id_session_id_call_id_pk" PRIMARY KEY("tenant_id","session_id","call_id")
);
--> statement-breakpoint
ALTER TABLE "calibration_session_calls" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "calibration_session_graders" (
	"tenant_id" text NOT NULL,
	"session_id" uuid NOT NULL,
	"grader_id" uuid NOT NULL,
	"scored" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "calibration_session_graders_tenant_id_session_id_grader_id_pk" PRIMARY KEY("tenant_id","session_id","grader_id"),
	CONSTRAINT "calibration_session_graders_scored" CHECK ("calibration_session_graders"."scored" >= 0)
);
--> statement-breakpoint
ALTER TABLE "calibration_session_graders" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "calibration_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"status" text DEFAULT 'open' NOT NULL,
	"created_by" text NOT NULL,
	"closed_by" text,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calibration_sessions_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "calibration_sessions_status" CHECK ("calibration_sessions"."status" in ('open', 'closed')),
	CONSTRAINT "calibration_sessions_closed" CHECK (("calibration_sessions"."status" = 'closed') = ("calibration_sessions"."closed_at" is not null and "calibration_sessions"."closed_by" is not null))
);
--> statement-breakpoint
ALTER TABLE "calibration_sessions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "calibration_scores" ADD CONSTRAINT "calibration_scores_call_fk" FOREIGN KEY ("tenant_id","session_id","call_id") REFERENCES "public"."calibration_session_calls"("tenant_id","session_id","call_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_scores" ADD CONSTRAINT "calibration_scores_grader_fk" FOREIGN KEY ("tenant_id","session_id","grader_id") REFERENCES "public"."calibration_session_graders"("tenant_id","session_id","grader_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_session_calls" ADD CONSTRAINT "calibration_session_calls_session_fk" FOREIGN KEY ("tenant_id","session_id") REFERENCES "public"."calibration_sessions"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_session_calls" ADD CONSTRAINT "calibration_session_calls_call_fk" FOREIGN KEY ("tenant_id","call_id") REFERENCES "public"."calls"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_session_calls" ADD CONSTRAINT "calibration_session_calls_evaluation_fk" FOREIGN KEY ("tenant_id","evaluation_id") REFERENCES "public"."evaluations"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_session_graders" ADD CONSTRAINT "calibration_session_graders_session_fk" FOREIGN KEY ("tenant_id","session_id") REFERENCES "public"."calibration_sessions"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_session_graders" ADD CONSTRAINT "calibration_session_graders_grader_fk" FOREIGN KEY ("tenant_id","grader_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_sessions" ADD CONSTRAINT "calibration_sessions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "calibration_session_calls_evaluation" ON "calibration_session_calls" USING btree ("tenant_id","evaluation_id");--> statement-breakpoint
CREATE INDEX "calibration_session_graders_grader" ON "calibration_session_graders" USING btree ("tenant_id","grader_id");--> statement-breakpoint
CREATE INDEX "calibration_sessions_tenant_status" ON "calibration_sessions" USING btree ("tenant_id","status","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE POLICY "calibration_scores_blind" ON "audit_logs" AS RESTRICTIVE FOR SELECT TO "qa_app" USING (case when "audit_logs"."entity_type" = 'calibration_scores'
        then exists (select 1 from calibration_scores s where s.id = "audit_logs"."entity_id"::uuid)
          or exists (select 1 from calibration_sessions s where s.id = ("audit_logs"."changes" ->> 'session_id')::uuid and s.status = 'closed')
        else true end);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "calibration_scores" AS PERMISSIVE FOR ALL TO "qa_app" USING ("calibration_scores"."tenant_id" = (select current_tenant())) WITH CHECK ("calibration_scores"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "calibration_scores_not_agents" ON "calibration_scores" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent') WITH CHECK ((select current_actor_role()) is distinct from 'agent');--> statement-breakpoint
CREATE POLICY "calibration_scores_blind" ON "calibration_scores" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ("calibration_scores"."grader_id"::text = (select current_actor_id()) or exists (select 1 from calibration_sessions s where s.tenant_id = "calibration_scores"."tenant_id" and s.id = "calibration_scores"."session_id" and s.status = 'closed'));--> statement-breakpoint
CREATE POLICY "calibration_scores_own_insert" ON "calibration_scores" AS RESTRICTIVE FOR INSERT TO "qa_app" WITH CHECK ("calibration_scores"."grader_id"::text = (select current_actor_id()) and exists (select 1 from calibration_sessions s where s.tenant_id = "calibration_scores"."tenant_id" and s.id = "calibration_scores"."session_id" and s.status = 'open'));--> statement-breakpoint
CREATE POLICY "calibration_scores_own_update" ON "calibration_scores" AS RESTRICTIVE FOR UPDATE TO "qa_app" USING ("calibration_scores"."grader_id"::text = (select current_actor_id()) and exists (select 1 from calibration_sessions s where s.tenant_id = "calibration_scores"."tenant_id" and s.id = "calibration_scores"."session_id" and s.status = 'open')) WITH CHECK ("calibration_scores"."grader_id"::text = (select current_actor_id()) and exists (select 1 from calibration_sessions s where s.tenant_id = "calibration_scores"."tenant_id" and s.id = "calibration_scores"."session_id" and s.status = 'open'));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "calibration_session_calls" AS PERMISSIVE FOR ALL TO "qa_app" USING ("calibration_session_calls"."tenant_id" = (select current_tenant())) WITH CHECK ("calibration_session_calls"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "calibration_session_calls_not_agents" ON "calibration_session_calls" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent') WITH CHECK ((select current_actor_role()) is distinct from 'agent');--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "calibration_session_graders" AS PERMISSIVE FOR ALL TO "qa_app" USING ("calibration_session_graders"."tenant_id" = (select current_tenant())) WITH CHECK ("calibration_session_graders"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "calibration_session_graders_not_agents" ON "calibration_session_graders" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent') WITH CHECK ((select current_actor_role()) is distinct from 'agent');--> statement-breakpoint
CREATE POLICY "calibration_session_graders_own_progress" ON "calibration_session_graders" AS RESTRICTIVE FOR UPDATE TO "qa_app" USING ("calibration_session_graders"."grader_id"::text = (select current_actor_id()) and exists (select 1 from calibration_sessions s where s.tenant_id = "calibration_session_graders"."tenant_id" and s.id = "calibration_session_graders"."session_id" and s.status = 'open')) WITH CHECK ("calibration_session_graders"."grader_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "calibration_sessions" AS PERMISSIVE FOR ALL TO "qa_app" USING ("calibration_sessions"."tenant_id" = (select current_tenant())) WITH CHECK ("calibration_sessions"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "calibration_sessions_not_agents" ON "calibration_sessions" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent') WITH CHECK ((select current_actor_role()) is distinct from 'agent');--> statement-breakpoint
CREATE POLICY "calibration_sessions_changes" ON "calibration_sessions" AS RESTRICTIVE FOR UPDATE TO "qa_app" USING ("calibration_sessions"."status" = 'open' and ("calibration_sessions"."created_by" = (select current_actor_id()) or (select current_actor_role()) in ('tenant_admin', 'super_admin'))) WITH CHECK ("calibration_sessions"."created_by" = (select current_actor_id()) or (select current_actor_role()) in ('tenant_admin', 'super_admin'));--> statement-breakpoint

-- hand-written below
-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses the policies.
ALTER TABLE calibration_sessions FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE calibration_session_calls FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE calibration_session_graders FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE calibration_scores FORCE ROW LEVEL SECURITY;--> statement-breakpoint
-- A session is never deleted through the API (a closed one is a record); its rows go only with
-- the tenant, or with a deleted call (the foreign keys cascade).
GRANT SELECT, INSERT, UPDATE ON calibration_sessions TO qa_app;--> statement-breakpoint
GRANT SELECT, INSERT ON calibration_session_calls TO qa_app;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON calibration_session_graders TO qa_app;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON calibration_scores TO qa_app;--> statement-breakpoint

CREATE TRIGGER calibration_sessions_touch BEFORE UPDATE ON calibration_sessions FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER calibration_scores_touch BEFORE UPDATE ON calibration_scores FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER calibration_sessions_audit AFTER INSERT OR UPDATE OR DELETE ON calibration_sessions FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER calibration_session_calls_audit AFTER INSERT OR UPDATE OR DELETE ON calibration_session_calls FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
-- Membership is audited; the `scored` counter is not: it only follows the scores, which are.
CREATE TRIGGER calibration_session_graders_audit AFTER INSERT OR DELETE ON calibration_session_graders FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER calibration_scores_audit AFTER INSERT OR UPDATE OR DELETE ON calibration_scores FOR EACH ROW EXECUTE FUNCTION audit_row_change();

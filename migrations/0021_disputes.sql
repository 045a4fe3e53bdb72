CREATE TABLE "dispute_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"dispute_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"criterion_id" text NOT NULL,
	"criterion_name" text NOT NULL,
	"max_points" integer NOT NULL,
	"original_score" integer NOT NULL,
	"original_passed" boolean NOT NULL,
	"proposed_score" integer NOT NULL,
	"reason" text NOT NULL,
	"decision" text,
	"decided_score" integer,
	"decided_passed" boolean,
	"decision_comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dispute_items_criterion" UNIQUE("tenant_id","dispute_id","criterion_id"),
	CONSTRAINT "dispute_items_points" CHECK ("dispute_items"."proposed_score" between 0 and "dispute_items"."max_points" and "dispute_items"."original_score" between 0 and "dispute_items"."max_points"
        and ("dispute_items"."decided_score" is null or "dispute_items"."decided_score" between 0 and "dispute_items"."max_points")),
	CONSTRAINT "dispute_items_decision" CHECK ("dispute_items"."decision" is null or "dispute_items"."decision" in ('upheld', 'overturned', 'modified')),
	CONSTRAINT "dispute_items_decided" CHECK (("dispute_items"."decision" is null) = ("dispute_items"."decided_score" is null))
);
--> statement-breakpoint
ALTER TABLE "dispute_items" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "disputes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"call_id" uuid NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"comment" text,
	"window_ends_at" timestamp with time zone NOT NULL,
	"reviewer_id" text,
	"review_started_at" timestamp with time zone,
	"resolved_by" text,
	"resolution_comment" text,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "disputes_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "disputes_status" CHECK ("disputes"."status" in ('open', 'in_review', 'resolved', 'withdrawn', 'expired')),
	CONSTRAINT "disputes_closed" CHECK (("disputes"."status" in ('resolved', 'withdrawn', 'expired')) = ("disputes"."closed_at" is not null)),
	CONSTRAINT "disputes_comment" CHECK ("disputes"."comment" is null or length("disputes"."comment") <= 2000)
);
--> statement-breakpoint
ALTER TABLE "disputes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "dispute_items" ADD CONSTRAINT "dispute_items_dispute_fk" FOREIGN KEY ("tenant_id","dispute_id") REFERENCES "public"."disputes"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_call_fk" FOREIGN KEY ("tenant_id","call_id") REFERENCES "public"."calls"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_evaluation_fk" FOREIGN KEY ("tenant_id","evaluation_id") REFERENCES "public"."evaluations"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_agent_fk" FOREIGN KEY ("tenant_id","agent_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "disputes_tenant_status" ON "disputes" USING btree ("tenant_id","status","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "disputes_evaluation" ON "disputes" USING btree ("tenant_id","evaluation_id");--> statement-breakpoint
CREATE INDEX "disputes_agent" ON "disputes" USING btree ("tenant_id","agent_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "disputes_window" ON "disputes" USING btree ("window_ends_at") WHERE "disputes"."status" = 'open';--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "dispute_items" AS PERMISSIVE FOR ALL TO "qa_app" USING ("dispute_items"."tenant_id" = (select current_tenant())) WITH CHECK ("dispute_items"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "dispute_items_agents_own" ON "dispute_items" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "dispute_items"."agent_id"::text = (select current_actor_id())) WITH CHECK ((select current_actor_role()) is distinct from 'agent' or "dispute_items"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "dispute_items_decided_by_others" ON "dispute_items" AS RESTRICTIVE FOR UPDATE TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' and "dispute_items"."agent_id"::text <> (select current_actor_id())) WITH CHECK ((select current_actor_role()) is distinct from 'agent' and "dispute_items"."agent_id"::text <> (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "disputes" AS PERMISSIVE FOR ALL TO "qa_app" USING ("disputes"."tenant_id" = (select current_tenant())) WITH CHECK ("disputes"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "disputes_agents_own" ON "disputes" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "disputes"."agent_id"::text = (select current_actor_id())) WITH CHECK ((select current_actor_role()) is distinct from 'agent' or "disputes"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "disputes_opened_by_agent" ON "disputes" AS RESTRICTIVE FOR INSERT TO "qa_app" WITH CHECK ("disputes"."status" = 'open' and "disputes"."agent_id"::text = (select current_actor_id()));--> statement-breakpoint
CREATE POLICY "disputes_moves" ON "disputes" AS RESTRICTIVE FOR UPDATE TO "qa_app" USING ("disputes"."status" in ('open', 'in_review')) WITH CHECK (case "disputes"."status"
        when 'withdrawn' then "disputes"."agent_id"::text = (select current_actor_id())
        when 'in_review' then "disputes"."agent_id"::text <> (select current_actor_id()) and (select current_actor_role()) is distinct from 'agent'
        when 'resolved' then "disputes"."agent_id"::text <> (select current_actor_id()) and (select current_actor_role()) is distinct from 'agent'
        when 'expired' then (select is_platform_job())
        else false end);--> statement-breakpoint

-- hand-written below
-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses the policies.
ALTER TABLE disputes FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE dispute_items FORCE ROW LEVEL SECURITY;--> statement-breakpoint
-- A dispute is a record: never deleted through the API; it goes with its tenant, call or evaluation.
GRANT SELECT, INSERT, UPDATE ON disputes, dispute_items TO qa_app;--> statement-breakpoint
CREATE TRIGGER disputes_touch BEFORE UPDATE ON disputes FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER dispute_items_touch BEFORE UPDATE ON dispute_items FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER disputes_audit AFTER INSERT OR UPDATE OR DELETE ON disputes FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER dispute_items_audit AFTER INSERT OR UPDATE OR DELETE ON dispute_items FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint

-- The cron trigger (the platform job: role 'system', no tenant) expires open disputes whose window
-- has passed, across tenants: it reads those and moves them to 'expired', and writes the audit rows
-- of that change. Nothing else of any dispute, and no other dispute.
-- The expired rows it leaves must be readable to it too (Postgres checks an updated row against the
-- SELECT policies): only those it expired in this very transaction (closed_at is its start).
CREATE POLICY platform_jobs_read_lapsed_disputes ON disputes AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job())
         AND ((status = 'open' AND window_ends_at <= now()) OR (status = 'expired' AND closed_at = now())));--> statement-breakpoint
CREATE POLICY platform_jobs_expire_disputes ON disputes AS PERMISSIVE FOR UPDATE TO qa_app
  USING ((SELECT is_platform_job()) AND status = 'open' AND window_ends_at <= now())
  WITH CHECK ((SELECT is_platform_job()) AND status = 'expired');--> statement-breakpoint
CREATE POLICY platform_jobs_audit_dispute_expiry ON audit_logs AS PERMISSIVE FOR INSERT TO qa_app
  WITH CHECK ((SELECT is_platform_job()) AND entity_type = 'disputes' AND action = 'disputes.update');

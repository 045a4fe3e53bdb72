CREATE TABLE "report_deliveries" (
	"tenant_id" text NOT NULL,
	"report_id" uuid NOT NULL,
	"recipient" text NOT NULL,
	"message_id" text,
	"sent_at" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_deliveries_tenant_id_report_id_recipient_pk" PRIMARY KEY("tenant_id","report_id","recipient")
);
--> statement-breakpoint
ALTER TABLE "report_deliveries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "report_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"format" text NOT NULL,
	"filters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"period_days" integer DEFAULT 7 NOT NULL,
	"schedule" text NOT NULL,
	"recipients" text[] NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	"last_run_at" timestamp with time zone,
	"paused_reason" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_schedules_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "report_schedules_tenant_name" UNIQUE("tenant_id","name"),
	CONSTRAINT "report_schedules_type" CHECK ("report_schedules"."type" in ('call_scores', 'agent_performance', 'compliance', 'coaching_progress')),
	CONSTRAINT "report_schedules_format" CHECK ("report_schedules"."format" in ('csv', 'xlsx', 'pdf')),
	CONSTRAINT "report_schedules_period" CHECK ("report_schedules"."period_days" between 1 and 366),
	CONSTRAINT "report_schedules_recipients" CHECK (cardinality("report_schedules"."recipients") between 1 and 50)
);
--> statement-breakpoint
ALTER TABLE "report_schedules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"type" text NOT NULL,
	"format" text NOT NULL,
	"filters" jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"failure_reason" text,
	"requested_by" text NOT NULL,
	"schedule_id" uuid,
	"scheduled_for" timestamp with time zone,
	"object_key" text,
	"filename" text,
	"content_type" text,
	"size_bytes" bigint,
	"row_count" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reports_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "reports_type" CHECK ("reports"."type" in ('call_scores', 'agent_performance', 'compliance', 'coaching_progress')),
	CONSTRAINT "reports_format" CHECK ("reports"."format" in ('csv', 'xlsx', 'pdf')),
	CONSTRAINT "reports_status" CHECK ("reports"."status" in ('queued', 'generating', 'ready', 'failed', 'expired'))
);
--> statement-breakpoint
ALTER TABLE "reports" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "report_deliveries" ADD CONSTRAINT "report_deliveries_report_fk" FOREIGN KEY ("tenant_id","report_id") REFERENCES "public"."reports"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_schedule_fk" FOREIGN KEY ("tenant_id","schedule_id") REFERENCES "public"."report_schedules"("tenant_id","id") ON DELETE SET NULL ("schedule_id") ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_schedules_due" ON "report_schedules" USING btree ("next_run_at") WHERE "report_schedules"."paused_reason" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "reports_schedule_run" ON "reports" USING btree ("tenant_id","schedule_id","scheduled_for") WHERE "reports"."schedule_id" is not null;--> statement-breakpoint
CREATE INDEX "reports_tenant_created" ON "reports" USING btree ("tenant_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "reports_expiry" ON "reports" USING btree ("expires_at") WHERE "reports"."status" = 'ready';--> statement-breakpoint
CREATE INDEX "analytics_call_facts_day" ON "analytics_call_facts" USING btree ("tenant_id","day","call_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "report_deliveries" AS PERMISSIVE FOR ALL TO "qa_app" USING ("report_deliveries"."tenant_id" = (select current_tenant())) WITH CHECK ("report_deliveries"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "report_schedules" AS PERMISSIVE FOR ALL TO "qa_app" USING ("report_schedules"."tenant_id" = (select current_tenant())) WITH CHECK ("report_schedules"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "reports" AS PERMISSIVE FOR ALL TO "qa_app" USING ("reports"."tenant_id" = (select current_tenant())) WITH CHECK ("reports"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_own_reports" ON "reports" AS RESTRICTIVE FOR ALL TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "reports"."requested_by"::text = (select current_actor_id())) WITH CHECK ((select current_actor_role()) is distinct from 'agent' or "reports"."requested_by"::text = (select current_actor_id()));--> statement-breakpoint

-- hand-written below
-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses the policies.
ALTER TABLE reports FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE report_schedules FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE report_deliveries FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON reports, report_schedules TO qa_app;--> statement-breakpoint
-- A delivery is a record of an email sent: written, completed, never removed but with its report.
GRANT SELECT, INSERT, UPDATE ON report_deliveries TO qa_app;--> statement-breakpoint

-- The cron trigger (role 'system', no tenant) claims due schedules across tenants and starts their
-- runs, and removes expired files: it reads and moves schedules, inserts scheduled reports, and
-- reads and expires ready reports past their time. Nothing else of any tenant.
CREATE POLICY platform_jobs_read_schedules ON report_schedules AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()));--> statement-breakpoint
CREATE POLICY platform_jobs_claim_schedules ON report_schedules AS PERMISSIVE FOR UPDATE TO qa_app
  USING ((SELECT is_platform_job())) WITH CHECK ((SELECT is_platform_job()));--> statement-breakpoint
CREATE POLICY platform_jobs_start_scheduled_reports ON reports AS PERMISSIVE FOR INSERT TO qa_app
  WITH CHECK ((SELECT is_platform_job()) AND schedule_id IS NOT NULL AND status = 'queued');--> statement-breakpoint
CREATE POLICY platform_jobs_read_reports ON reports AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()));--> statement-breakpoint
CREATE POLICY platform_jobs_expire_reports ON reports AS PERMISSIVE FOR UPDATE TO qa_app
  USING ((SELECT is_platform_job()) AND status = 'ready' AND expires_at <= now())
  WITH CHECK ((SELECT is_platform_job()) AND status = 'expired');--> statement-breakpoint

CREATE TRIGGER reports_touch BEFORE UPDATE ON reports FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER report_schedules_touch BEFORE UPDATE ON report_schedules FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER reports_audit AFTER INSERT OR UPDATE OR DELETE ON reports FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER report_schedules_audit AFTER INSERT OR UPDATE OR DELETE ON report_schedules FOR EACH ROW EXECUTE FUNCTION audit_row_change();
--> statement-breakpoint
-- reports_schedule_fk above is edited by hand to `SET NULL ("schedule_id")`: a deleted schedule
-- leaves its reports, and the plain SET NULL would null tenant_id with it.
SELECT 1;

CREATE TABLE "calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"agent_id" uuid,
	"uploaded_by" text,
	"source" text NOT NULL,
	"direction" text DEFAULT 'inbound' NOT NULL,
	"started_at" timestamp with time zone,
	"external_id" text,
	"customer_number" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" text NOT NULL,
	"failure_reason" text,
	"audio_key" text NOT NULL,
	"audio_content_type" text,
	"audio_bytes" bigint,
	"audio_channels" integer DEFAULT 1 NOT NULL,
	"duration_seconds" integer,
	"criteria_set_id" uuid,
	"transcript_id" text,
	"overall_score" integer,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calls_tenant_id_id" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "calls" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "criteria_sets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"criteria_ids" uuid[] NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "criteria_sets_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "criteria_sets_tenant_name" UNIQUE("tenant_id","name")
);
--> statement-breakpoint
ALTER TABLE "criteria_sets" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "criterion_versions" (
	"tenant_id" text NOT NULL,
	"criterion_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"snapshot" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "criterion_versions_tenant_id_criterion_id_version_pk" PRIMARY KEY("tenant_id","criterion_id","version")
);
--> statement-breakpoint
ALTER TABLE "criterion_versions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "evaluation_criteria" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"category" text NOT NULL,
	"max_points" integer NOT NULL,
	"evaluation_prompts" text[] DEFAULT '{}'::text[] NOT NULL,
	"auto_fail" boolean DEFAULT false NOT NULL,
	"template_key" text,
	"is_active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "evaluation_criteria_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "evaluation_criteria_tenant_name" UNIQUE("tenant_id","name"),
	CONSTRAINT "evaluation_criteria_points" CHECK ("evaluation_criteria"."max_points" between 1 and 100)
);
--> statement-breakpoint
ALTER TABLE "evaluation_criteria" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "evaluations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"call_id" uuid NOT NULL,
	"run_key" text NOT NULL,
	"criteria_set_id" uuid,
	"criteria_set_version" integer,
	"criteria_snapshot" jsonb NOT NULL,
	"overall_score" integer NOT NULL,
	"auto_failed" boolean NOT NULL,
	"results" jsonb NOT NULL,
	"compliance" jsonb NOT NULL,
	"sentiment" jsonb NOT NULL,
	"customer_behavior" jsonb NOT NULL,
	"summary" text NOT NULL,
	"model" text NOT NULL,
	"transcript_truncated" boolean DEFAULT false NOT NULL,
	"requested_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "evaluations_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "evaluations_call_run" UNIQUE("tenant_id","call_id","run_key")
);
--> statement-breakpoint
ALTER TABLE "evaluations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
);
--> statement-breakpoint
ALTER TABLE "idempotency_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "insights" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"call_id" uuid NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"type" text NOT NULL,
	"category" text NOT NULL,
	"title" text NOT NULL,
	"severity" text NOT NULL,
	"suggestions" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "insights" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "tenant_integrations" (
	"tenant_id" text NOT NULL,
	"provider" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_integrations_tenant_id_provider_pk" PRIMARY KEY("tenant_id","provider")
);
--> statement-breakpoint
ALTER TABLE "tenant_integrations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "transcripts" (
	"call_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"language_code" text,
	"text" text NOT NULL,
	"utterances" jsonb NOT NULL,
	"duration_seconds" integer,
	"confidence" text,
	"speaker_roles" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "transcripts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"tenant_id" text NOT NULL,
	"provider" text NOT NULL,
	"event_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_events_tenant_id_provider_event_id_pk" PRIMARY KEY("tenant_id","provider","event_id")
);
--> statement-breakpoint
ALTER TABLE "webhook_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_agent_fk" FOREIGN KEY ("tenant_id","agent_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_criteria_set_fk" FOREIGN KEY ("tenant_id","criteria_set_id") REFERENCES "public"."criteria_sets"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "criteria_sets" ADD CONSTRAINT "criteria_sets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_criteria" ADD CONSTRAINT "evaluation_criteria_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluations" ADD CONSTRAINT "evaluations_call_fk" FOREIGN KEY ("tenant_id","call_id") REFERENCES "public"."calls"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insights" ADD CONSTRAINT "insights_evaluation_fk" FOREIGN KEY ("tenant_id","evaluation_id") REFERENCES "public"."evaluations"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_integrations" ADD CONSTRAINT "tenant_integrations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transcripts" ADD CONSTRAINT "transcripts_call_fk" FOREIGN KEY ("tenant_id","call_id") REFERENCES "public"."calls"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "calls_tenant_external" ON "calls" USING btree ("tenant_id","source","external_id") WHERE "calls"."external_id" is not null;--> statement-breakpoint
CREATE INDEX "calls_tenant_started" ON "calls" USING btree ("tenant_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "calls_tenant_agent" ON "calls" USING btree ("tenant_id","agent_id");--> statement-breakpoint
CREATE INDEX "calls_status_changed" ON "calls" USING btree ("status","status_changed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "criteria_sets_one_default" ON "criteria_sets" USING btree ("tenant_id") WHERE "criteria_sets"."is_default";--> statement-breakpoint
CREATE INDEX "insights_call" ON "insights" USING btree ("tenant_id","call_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "calls" AS PERMISSIVE FOR ALL TO "qa_app" USING ("calls"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("calls"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "agents_own_calls" ON "calls" AS RESTRICTIVE FOR SELECT TO "qa_app" USING (current_setting('app.user_role', true) is distinct from 'agent' or "calls"."agent_id"::text = current_setting('app.user_id', true));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "criteria_sets" AS PERMISSIVE FOR ALL TO "qa_app" USING ("criteria_sets"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("criteria_sets"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "criterion_versions" AS PERMISSIVE FOR ALL TO "qa_app" USING ("criterion_versions"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("criterion_versions"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "evaluation_criteria" AS PERMISSIVE FOR ALL TO "qa_app" USING ("evaluation_criteria"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("evaluation_criteria"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "evaluations" AS PERMISSIVE FOR ALL TO "qa_app" USING ("evaluations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("evaluations"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "idempotency_keys" AS PERMISSIVE FOR ALL TO "qa_app" USING ("idempotency_keys"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("idempotency_keys"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "insights" AS PERMISSIVE FOR ALL TO "qa_app" USING ("insights"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("insights"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "tenant_integrations" AS PERMISSIVE FOR ALL TO "qa_app" USING ("tenant_integrations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("tenant_integrations"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "transcripts" AS PERMISSIVE FOR ALL TO "qa_app" USING ("transcripts"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("transcripts"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "webhook_events" AS PERMISSIVE FOR ALL TO "qa_app" USING ("webhook_events"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("webhook_events"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));
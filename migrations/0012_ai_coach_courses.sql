CREATE TABLE "coach_courses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"category" text NOT NULL,
	"difficulty" text NOT NULL,
	"skills_covered" text[] DEFAULT '{}'::text[] NOT NULL,
	"estimated_hours" numeric(6, 2),
	"status" text DEFAULT 'draft' NOT NULL,
	"source" text DEFAULT 'manual' NOT NULL,
	"generated_from" jsonb,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coach_courses_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "coach_courses_difficulty" CHECK ("coach_courses"."difficulty" in ('beginner', 'intermediate', 'advanced')),
	CONSTRAINT "coach_courses_status" CHECK ("coach_courses"."status" in ('draft', 'published', 'archived')),
	CONSTRAINT "coach_courses_source" CHECK (("coach_courses"."source" = 'manual' and "coach_courses"."generated_from" is null) or ("coach_courses"."source" = 'generated' and "coach_courses"."generated_from" is not null)),
	CONSTRAINT "coach_courses_hours" CHECK ("coach_courses"."estimated_hours" is null or "coach_courses"."estimated_hours" between 0 and 1000)
);
--> statement-breakpoint
ALTER TABLE "coach_courses" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "coach_lessons" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"course_id" uuid NOT NULL,
	"module_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"type" text NOT NULL,
	"content" jsonb NOT NULL,
	"estimated_minutes" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coach_lessons_position" UNIQUE("tenant_id","module_id","position"),
	CONSTRAINT "coach_lessons_type" CHECK ("coach_lessons"."type" in ('reading', 'example', 'exercise', 'quiz', 'roleplay'))
);
--> statement-breakpoint
ALTER TABLE "coach_lessons" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "coach_modules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"course_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coach_modules_tenant_id_id" UNIQUE("tenant_id","id"),
	CONSTRAINT "coach_modules_tenant_course_id" UNIQUE("tenant_id","course_id","id"),
	CONSTRAINT "coach_modules_position" UNIQUE("tenant_id","course_id","position")
);
--> statement-breakpoint
ALTER TABLE "coach_modules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "coach_courses" ADD CONSTRAINT "coach_courses_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_lessons" ADD CONSTRAINT "coach_lessons_module_fk" FOREIGN KEY ("tenant_id","course_id","module_id") REFERENCES "public"."coach_modules"("tenant_id","course_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coach_modules" ADD CONSTRAINT "coach_modules_course_fk" FOREIGN KEY ("tenant_id","course_id") REFERENCES "public"."coach_courses"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "coach_courses_tenant_status" ON "coach_courses" USING btree ("tenant_id","status","updated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "coach_lessons_course" ON "coach_lessons" USING btree ("tenant_id","course_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "coach_courses" AS PERMISSIVE FOR ALL TO "qa_app" USING ("coach_courses"."tenant_id" = (select current_tenant())) WITH CHECK ("coach_courses"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "agents_published_courses" ON "coach_courses" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or "coach_courses"."status" = 'published');--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "coach_lessons" AS PERMISSIVE FOR ALL TO "qa_app" USING ("coach_lessons"."tenant_id" = (select current_tenant())) WITH CHECK ("coach_lessons"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "coach_lessons_agents_visible_courses" ON "coach_lessons" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or exists (select 1 from coach_courses c where c.tenant_id = "coach_lessons"."tenant_id" and c.id = "coach_lessons"."course_id"));--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "coach_modules" AS PERMISSIVE FOR ALL TO "qa_app" USING ("coach_modules"."tenant_id" = (select current_tenant())) WITH CHECK ("coach_modules"."tenant_id" = (select current_tenant()));--> statement-breakpoint
CREATE POLICY "coach_modules_agents_visible_courses" ON "coach_modules" AS RESTRICTIVE FOR SELECT TO "qa_app" USING ((select current_actor_role()) is distinct from 'agent' or exists (select 1 from coach_courses c where c.tenant_id = "coach_modules"."tenant_id" and c.id = "coach_modules"."course_id"));--> statement-breakpoint

-- drizzle-kit emits ENABLE only; without FORCE the table owner (the migration role) bypasses the policies.
ALTER TABLE coach_courses FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE coach_modules FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE coach_lessons FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON coach_courses, coach_modules, coach_lessons TO qa_app;--> statement-breakpoint
CREATE TRIGGER coach_courses_touch BEFORE UPDATE ON coach_courses FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER coach_modules_touch BEFORE UPDATE ON coach_modules FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
CREATE TRIGGER coach_lessons_touch BEFORE UPDATE ON coach_lessons FOR EACH ROW EXECUTE FUNCTION touch_updated_at();--> statement-breakpoint
-- Every change leaves an audit row (quiz answers included: the trail is read by tenant admins only).
CREATE TRIGGER coach_courses_audit AFTER INSERT OR UPDATE OR DELETE ON coach_courses FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER coach_modules_audit AFTER INSERT OR UPDATE OR DELETE ON coach_modules FOR EACH ROW EXECUTE FUNCTION audit_row_change();--> statement-breakpoint
CREATE TRIGGER coach_lessons_audit AFTER INSERT OR UPDATE OR DELETE ON coach_lessons FOR EACH ROW EXECUTE FUNCTION audit_row_change();

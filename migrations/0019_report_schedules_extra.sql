-- The cron trigger claims due report schedules as the platform job (role 'system', no tenant; see
-- 0017). Two things it needs that 0017 does not give it:
--
-- 1. Its claim updates report_schedules and inserts reports, and both tables are audited. The audit
--    row carries the row's tenant, which is not the (absent) tenant in context, so the trail's
--    insert policy refused it and with it the whole claim. The platform job may write audit rows
--    about those two tables only; it still reads none.
CREATE POLICY platform_jobs_audit_report_runs ON audit_logs AS PERMISSIVE FOR INSERT TO qa_app
  WITH CHECK ((SELECT is_platform_job()) AND entity_type IN ('report_schedules', 'reports'));--> statement-breakpoint

-- 2. A schedule runs in its tenant's time zone, which analytics_time_zone(tenant, null) reads from
--    the tenant's 'general' settings, else from its first organization. Without these the platform
--    job saw neither and every schedule would have run in UTC. Only the 'general' category: the
--    others (integrations, reports...) stay out of its reach.
CREATE POLICY platform_jobs_read_general_settings ON settings AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()) AND category = 'general');--> statement-breakpoint
CREATE POLICY platform_jobs_read_organizations ON organizations AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()));

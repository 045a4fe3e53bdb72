-- The cron's recovery of reports whose queue message was lost (src/services/reports/recovery.ts),
-- as the platform job: it reads which scheduled reports have deliveries, and fails a report still
-- queued a day after it was asked for. Nothing else of a report changes by it.
CREATE POLICY platform_jobs_read_deliveries ON report_deliveries AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()));--> statement-breakpoint
CREATE POLICY platform_jobs_fail_lost_reports ON reports AS PERMISSIVE FOR UPDATE TO qa_app
  USING ((SELECT is_platform_job()) AND status = 'queued' AND created_at <= now() - interval '1 day')
  WITH CHECK ((SELECT is_platform_job()) AND status = 'failed');

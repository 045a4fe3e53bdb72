-- The cron's recovery of reports whose generation message was lost (src/services/reports/recovery.ts),
-- as the platform job: it may fail a report still queued a day after it was asked for, and change
-- nothing else of a report.
CREATE POLICY platform_jobs_fail_lost_reports ON reports AS PERMISSIVE FOR UPDATE TO qa_app
  USING ((SELECT is_platform_job()) AND status = 'queued' AND created_at <= now() - interval '1 day')
  WITH CHECK ((SELECT is_platform_job()) AND status = 'failed');

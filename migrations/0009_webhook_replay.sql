ALTER TABLE "webhook_events" ADD COLUMN "sequence" bigint;--> statement-breakpoint
-- The sweeper (role 'system', no tenant) purges webhook delivery records older than 24 hours, across
-- tenants, and can touch nothing else of them. 24 hours is far beyond the windows the rows guard
-- (a generic delivery's timestamp counts for 5 minutes, a Twilio status callback's for an hour), so a
-- purged record can no longer be replayed. A DELETE with a WHERE clause must also pass the SELECT
-- policy, hence the pair.
CREATE POLICY platform_jobs_read_expired_webhook_events ON webhook_events AS PERMISSIVE FOR SELECT TO qa_app
  USING ((SELECT is_platform_job()) AND received_at < now() - interval '24 hours');--> statement-breakpoint
CREATE POLICY platform_jobs_purge_webhook_events ON webhook_events AS PERMISSIVE FOR DELETE TO qa_app
  USING ((SELECT is_platform_job()) AND received_at < now() - interval '24 hours');

/**
 * Cron: report files past their expiry are removed from R2 and their rows say `expired`. Runs as
 * the platform job, which the reports policies let read ready reports and expire those past their
 * time, and nothing else. The objects go first: a sweep that stops between the two finds the rows
 * still ready next time and deletes again (deleting a missing object is not an error), and a
 * download in between is 410 already, since it checks the expiry itself.
 */
import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';

/** Files per sweep; R2 deletes up to 1,000 keys per call. */
const BATCH = 500;

export async function expireReports(ctx: ServiceContext): Promise<{ expired: number }> {
  const [due] = await ctx.db.run((q) => [
    q.execute<{ id: string; object_key: string | null }>(sql`
      select id, object_key from reports where status = 'ready' and expires_at <= now()
      order by expires_at limit ${BATCH}`),
  ]);
  if (!due.rows.length) return { expired: 0 };
  const keys = due.rows.map((r) => r.object_key).filter((k): k is string => !!k);
  if (keys.length) await ctx.audio.delete(keys);
  const [done] = await ctx.db.run((q) => [
    q.execute(sql`
      update reports set status = 'expired', object_key = null
      where id = any(${`{${due.rows.map((r) => r.id).join(',')}}`}::uuid[]) and status = 'ready' and expires_at <= now()`),
  ]);
  return { expired: done.rowCount ?? 0 };
}

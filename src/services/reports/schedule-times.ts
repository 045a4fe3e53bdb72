/**
 * When a report schedule runs, and what each run covers. A schedule is a five-field cron
 * expression read in the tenant's time zone (croner, which follows the zone's daylight-saving
 * changes: a time skipped by the change runs at the first valid time after it, a time that occurs
 * twice runs once). A run at T covers the `period_days` whole days before T's day, in that zone.
 */
import { Cron } from 'croner';
import { Invalid } from '../../lib/errors';

/** The cron trigger's period (wrangler.toml): runs closer together than this cannot all be honoured. */
export const CLAIM_INTERVAL_MINUTES = 5;
/** How many upcoming runs the frequency check looks at; enough to meet any realistic pattern's closest pair. */
const RUNS_CHECKED = 100;
const FIELDS = 'minute hour day-of-month month day-of-week';

const refuse = (message: string) => new Invalid('The schedule cannot be used.', [{ field: 'schedule', message }]);

/**
 * A zone croner can use. `analytics_time_zone()` only returns zones Postgres knows, and Postgres
 * knows a few the runtime's Intl does not; those fall back to UTC as the database does for unknown ones.
 */
export function usableTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

function cronOf(expression: string, timeZone: string): Cron {
  return new Cron(expression, { timezone: usableTimeZone(timeZone), paused: true, mode: '5-part' });
}

/**
 * Checks a schedule as given by a caller: exactly five fields, valid for croner, with a run to come,
 * and never two runs closer than the cron trigger's period. Every refusal names `schedule` and says why.
 */
export function checkSchedule(expression: string, timeZone: string, now = new Date()): string {
  const normalized = expression.trim().split(/\s+/).join(' ');
  const fields = normalized === '' ? 0 : normalized.split(' ').length;
  if (fields !== 5) throw refuse(`must be a cron expression of five fields (${FIELDS}); this one has ${fields}`);
  let cron: Cron;
  try {
    cron = cronOf(normalized, timeZone);
  } catch (err) {
    throw refuse(`is not a valid cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}`);
  }
  let previous = cron.nextRun(now);
  if (!previous) throw refuse('never runs: no date matches it');
  for (let i = 0; i < RUNS_CHECKED; i++) {
    const next = cron.nextRun(previous);
    if (!next) break;
    if (next.getTime() - previous.getTime() < CLAIM_INTERVAL_MINUTES * 60_000)
      throw refuse(
        `runs more often than every ${CLAIM_INTERVAL_MINUTES} minutes (at ${previous.toISOString()} and ` +
          `${next.toISOString()}); schedules are started every ${CLAIM_INTERVAL_MINUTES} minutes, so runs must be at least that far apart`,
      );
    previous = next;
  }
  return normalized;
}

/** The first run strictly after `after`, or null when the expression has no more. */
export function nextRunAfter(expression: string, timeZone: string, after: Date): Date | null {
  return cronOf(expression, timeZone).nextRun(after);
}

/** `first`, then the runs after it: the `count` runs a schedule is due at next, as ISO strings. */
export function upcomingRuns(expression: string, timeZone: string, first: Date, count: number): string[] {
  const cron = cronOf(expression, timeZone);
  const runs = [first];
  while (runs.length < count) {
    const next = cron.nextRun(runs[runs.length - 1]);
    if (!next) break;
    runs.push(next);
  }
  return runs.map((d) => d.toISOString());
}

const DAY_MS = 86_400_000;

/** The calendar date of `at` in `timeZone`, as YYYY-MM-DD. */
export function localDate(at: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: usableTimeZone(timeZone),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** What a run at `scheduledFor` covers: the `periodDays` days ending the day before, in the tenant's zone. */
export function reportPeriod(scheduledFor: Date, timeZone: string, periodDays: number): { from: string; to: string } {
  const day = localDate(scheduledFor, timeZone);
  return { from: addDays(day, -periodDays), to: addDays(day, -1) };
}

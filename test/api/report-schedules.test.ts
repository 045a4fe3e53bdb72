/**
 * Scheduled reports through the public surface: the /api/reports/scheduled endpoints, the cron
 * claim (the Worker's scheduled handler and the claim itself, run concurrently), and the
 * `report-deliver` queue step, whose emails land in the mail stand-in (read back through its
 * GET /__messages) with a link the local R2 gateway serves.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { claimDueSchedules } from '../../src/services/reports/schedule-claim';
import { SCHEDULER_ACTOR, serviceContext } from '../../src/service-context';
import { as, asTenant, call, deliver, eventually, expectProblem, json, logLines, runCron } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const SYSTEM = 'system:pipeline';
/** Yearly, far from any test's clock: created schedules never fall due by themselves. */
const QUIET = '0 6 1 1 *';

/** A tenant of its own, with a tenant admin (a manager and more) and a few more users. */
async function scheduleTenant(timeZone?: string) {
  const id = `rs${uniq()}`;
  const created = await as('super_admin', '/api/tenants', {
    method: 'POST',
    body: {
      tenant_id: id,
      display_name: `Reports ${id}`,
      subdomain: id,
      admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
    },
  });
  expect(created.status).toBe(201);
  const login = await json(
    await call('/api/auth/login', {
      method: 'POST',
      body: { username: `a@${id}.test`, password: 'long-enough-pass', tenant_id: id },
    }),
  );
  const token = login.access_token as string;
  const users = { ana: crypto.randomUUID(), ben: crypto.randomUUID(), gone: crypto.randomUUID() };
  const [orgs] = await asTenant(id, SYSTEM, 'system', [
    { query: `insert into organizations (tenant_id, name) values ($1, 'Main') returning id`, params: [id] },
  ]);
  const [teams] = await asTenant(id, SYSTEM, 'system', [
    {
      query: `insert into teams (tenant_id, organization_id, name) values ($1, $2, 'Blue') returning id`,
      params: [id, orgs![0]!.id],
    },
    // Ben's address is stored with a capital: recipients match users' emails whatever their case.
    {
      query: `insert into users (id, tenant_id, email, role, status) values
                ($1, $4, 'ana@' || $4 || '.test', 'agent', 'active'),
                ($2, $4, 'Ben@' || $4 || '.test', 'manager', 'active'),
                ($3, $4, 'gone@' || $4 || '.test', 'agent', 'inactive')`,
      params: [users.ana, users.ben, users.gone, id],
    },
  ]);
  const team = teams![0]!.id as string;
  const api = (path: string, init: Parameters<typeof call>[1] = {}) =>
    call(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  if (timeZone) await setting(api, 'general', { timezone: timeZone });
  return { id, api, users, team, email: (who: string) => `${who}@${id}.test` };
}
type Tenant = Awaited<ReturnType<typeof scheduleTenant>>;

async function setting(api: Tenant['api'], category: string, settings: Record<string, unknown>) {
  const res = await api('/api/admin/settings', { method: 'PUT', body: { category, settings } });
  expect(res.status, await res.clone().text()).toBe(200);
}

function scheduleBody(t: Tenant, over: Record<string, unknown> = {}) {
  return {
    name: `Weekly ${uniq()}`,
    type: 'call_scores',
    format: 'csv',
    schedule: QUIET,
    recipients: [t.email('ana')],
    ...over,
  };
}

async function createSchedule(t: Tenant, over: Record<string, unknown> = {}) {
  const res = await t.api('/api/reports/scheduled', { method: 'POST', body: scheduleBody(t, over) });
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

const rowsOf = (t: Tenant, query: string, params: unknown[] = []) =>
  asTenant(t.id, SYSTEM, 'system', [{ query, params }]).then(([rows]) => rows!);

/** Makes a schedule due at `at` (a past instant), as if its time had come. */
async function dueAt(t: Tenant, scheduleId: string, at: string) {
  await rowsOf(t, 'update report_schedules set next_run_at = $2::timestamptz where id = $1', [scheduleId, at]);
}

/**
 * An active user of the tenant with an address of its own: a provider fault set for it cannot be
 * taken by another test's email (queued deliveries run in the background).
 */
async function ownRecipient(t: Tenant, role = 'agent') {
  const email = `only-${uniq()}@${t.id}.test`;
  await rowsOf(t, `insert into users (id, tenant_id, email, role, status) values ($1, $2, $3, $4, 'active')`, [
    crypto.randomUUID(),
    t.id,
    email,
    role,
  ]);
  return email;
}

const claim = () =>
  claimDueSchedules(serviceContext(env, { actor: SCHEDULER_ACTOR, tenantId: null, requestId: `test-${uniq()}` }));

/** Messages the mail stand-in wrote to `to`, oldest first. */
async function mailTo(to: string): Promise<{ id: string; subject: string; text: string; html: string }[]> {
  const res = await fetch(`${env.EMAIL_API_URL}/__messages?to=${encodeURIComponent(to)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { id: string; subject: string; text: string; html: string }[] }).data;
}

/** A report of the schedule made ready as the generator would leave it: a row and its R2 object. */
async function readyReport(t: Tenant, scheduleId: string, content = 'agent,score\nAna,91\n') {
  const reportId = crypto.randomUUID();
  const key = `${t.id}/reports/${reportId}.csv`;
  await env.AUDIO.put(key, content, { httpMetadata: { contentType: 'text/csv' } });
  await rowsOf(
    t,
    `insert into reports (id, tenant_id, type, format, filters, status, requested_by, schedule_id, scheduled_for,
                          object_key, filename, content_type, size_bytes, row_count, completed_at, expires_at)
     values ($1, $2, 'call_scores', 'csv', '{"from":"2026-11-23","to":"2026-11-29"}', 'ready', 'system:scheduler', $3,
             now() - interval '10 minutes', $4, 'call-scores.csv', 'text/csv', $5, 1, now() - interval '5 minutes',
             now() + interval '7 days')`,
    [reportId, t.id, scheduleId, key, content.length],
  );
  return { reportId, key, content };
}

const deliverMessage = (t: Tenant, reportId: string) =>
  ({ step: 'report-deliver', tenant_id: t.id, report_id: reportId }) as const;

let t: Tenant;
beforeAll(async () => {
  t = await scheduleTenant('America/New_York');
}, 60_000);

describe('report schedules: happy path', () => {
  it('creates a schedule and answers it with its next three runs in the tenant time zone', async () => {
    const body = await createSchedule(t, {
      schedule: '0 7 * * 1',
      filters: { team_id: t.team },
      period_days: 14,
      recipients: [t.email('ana'), `ben@${t.id}.test`],
    });
    expect(body).toMatchObject({
      type: 'call_scores',
      format: 'csv',
      schedule: '0 7 * * 1',
      filters: { team_id: t.team },
      period_days: 14,
      time_zone: 'America/New_York',
      paused_reason: null,
      last_run_at: null,
    });
    expect(body.recipients, 'addresses are kept lowercase').toEqual([t.email('ana'), t.email('ben')]);
    expect(body.next_runs).toHaveLength(3);
    for (const run of body.next_runs as string[]) {
      const parts = new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/New_York',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).formatToParts(new Date(run));
      const part = (type: string) => parts.find((p) => p.type === type)?.value;
      expect(`${part('weekday')} ${part('hour')}:${part('minute')}`, `${run} in New York`).toBe('Mon 07:00');
      expect(Date.parse(run)).toBeGreaterThan(Date.now());
    }
    expect(Date.parse(body.next_runs[1]) - Date.parse(body.next_runs[0])).toBeGreaterThanOrEqual(
      7 * 86_400_000 - 3_600_000,
    );
  });

  it('lists, changes and deletes schedules, paginated like other lists', async () => {
    const a = await createSchedule(t);
    const b = await createSchedule(t);
    const page = await json(await t.api('/api/reports/scheduled?limit=1&page=1'));
    expect(page.pagination).toMatchObject({ page: 1, limit: 1 });
    expect(page.pagination.total).toBeGreaterThanOrEqual(2);
    expect(page.data).toHaveLength(1);
    expect(page.data[0].id, 'newest first').toBe(b.id);
    expect(page.data[0].next_runs).toHaveLength(3);

    const renamed = await t.api(`/api/reports/scheduled/${a.id}`, {
      method: 'PUT',
      body: { name: `Renamed ${uniq()}`, format: 'pdf', schedule: '15 8 1 * *' },
    });
    const changed = await json(renamed);
    expect(renamed.status, JSON.stringify(changed)).toBe(200);
    expect(changed).toMatchObject({ format: 'pdf', schedule: '15 8 1 * *', type: 'call_scores' });
    expect(
      new Date(changed.next_runs[0]).getUTCDate(),
      'the 1st of a month (08:15 New York is the same day in UTC)',
    ).toBe(1);

    expect((await t.api(`/api/reports/scheduled/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await t.api(`/api/reports/scheduled/${a.id}`, { method: 'DELETE' }), 404);
    await expectProblem(await t.api(`/api/reports/scheduled/${a.id}`, { method: 'PUT', body: { name: 'x' } }), 404);
  });

  it('answers 409 for a name the tenant already uses, on create and on rename', async () => {
    const a = await createSchedule(t);
    const b = await createSchedule(t);
    const dup = await t.api('/api/reports/scheduled', { method: 'POST', body: scheduleBody(t, { name: a.name }) });
    await expectProblem(dup, 409);
    const rename = await t.api(`/api/reports/scheduled/${b.id}`, { method: 'PUT', body: { name: a.name } });
    await expectProblem(rename, 409);
  });

  it('writes the audit trail of a schedule from the table trigger', async () => {
    const s = await createSchedule(t);
    const rows = await rowsOf(t, `select action, actor_id from audit_logs where entity_id = $1 order by seq`, [s.id]);
    expect(rows[0]).toMatchObject({ action: 'report_schedules.insert' });
  });
});

describe('report schedules: time zones', () => {
  it('keeps local time across the spring daylight-saving change in America/New_York', async () => {
    // Sundays of March at 09:30: the first is before the change (EST, 14:30 UTC), the second is
    // the day of it and the third after (EDT, 13:30 UTC).
    const body = await createSchedule(t, { schedule: '30 9 * 3 0' });
    const runs = (body.next_runs as string[]).map((r) => new Date(r));
    expect(runs.map((d) => d.getUTCMonth())).toEqual([2, 2, 2]);
    const local = runs.map((d) =>
      new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/New_York',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(d),
    );
    expect(local).toEqual(['09:30', '09:30', '09:30']);
    expect(runs.map((d) => d.getUTCHours())).toEqual([14, 13, 13]);
  });

  it('runs once at a time the autumn change repeats, and follows a time zone change of the tenant', async () => {
    // Sundays of November at 01:30: on the first, the clocks go back and 01:30 happens twice; the
    // schedule runs once that day.
    const fall = await createSchedule(t, { schedule: '30 1 * 11 0' });
    const local = (fall.next_runs as string[]).map((r) =>
      new Intl.DateTimeFormat('en-CA', {
        timeZone: 'America/New_York',
        dateStyle: 'short',
        timeStyle: 'short',
        hourCycle: 'h23',
      }).format(new Date(r)),
    );
    expect(new Set(local.map((l) => l.slice(0, 10))).size, `one run per day: ${local}`).toBe(3);
    expect(
      local.every((l) => l.endsWith('01:30')),
      local.join(),
    ).toBe(true);

    const other = await scheduleTenant();
    const utc = await createSchedule(other, { schedule: '0 12 * * *' });
    expect(utc.time_zone, 'a tenant without a time zone is on UTC').toBe('UTC');
    expect(new Date(utc.next_runs[0]).getUTCHours()).toBe(12);
    await setting(other.api, 'general', { timezone: 'Asia/Tokyo' });
    const moved = await json(
      await other.api(`/api/reports/scheduled/${utc.id}`, { method: 'PUT', body: { schedule: '0 12 * * *' } }),
    );
    expect(moved.time_zone).toBe('Asia/Tokyo');
    expect(new Date(moved.next_runs[0]).getUTCHours(), 'noon in Tokyo is 03:00 UTC').toBe(3);
  });
});

describe('report schedules: bad input', () => {
  async function refused(body: Record<string, unknown>, field: string, status = 422) {
    const before = (await json(await t.api('/api/reports/scheduled'))).pagination.total;
    const res = await t.api('/api/reports/scheduled', { method: 'POST', body: scheduleBody(t, body) });
    const problem = await expectProblem(res, status);
    const named = problem.errors?.find((e) => e.field === field);
    expect(named, `${JSON.stringify(problem)} names ${field}`).toBeDefined();
    const after = (await json(await t.api('/api/reports/scheduled'))).pagination.total;
    expect(after, 'nothing was written').toBe(before);
    return named!.message;
  }

  it('refuses an invalid cron expression, saying why', async () => {
    expect(await refused({ schedule: '61 * * * *' }, 'schedule')).toMatch(/minute/i);
    expect(await refused({ schedule: '0 9 * *' }, 'schedule')).toMatch(/five fields.*has 4/);
    expect(await refused({ schedule: '0 9 * * * 2027' }, 'schedule')).toMatch(/five fields.*has 6/);
    expect(await refused({ schedule: '@daily' }, 'schedule')).toMatch(/five fields/);
    expect(await refused({ schedule: '0 0 30 2 *' }, 'schedule')).toMatch(/never runs/);
  });

  it('refuses schedules more frequent than the five-minute trigger can honour', async () => {
    expect(await refused({ schedule: '* * * * *' }, 'schedule')).toMatch(/more often than every 5 minutes/);
    expect(await refused({ schedule: '*/2 * * * *' }, 'schedule')).toMatch(/more often than every 5 minutes/);
    expect(await refused({ schedule: '0,3 9 * * *' }, 'schedule')).toMatch(/more often than every 5 minutes/);
    // Two minutes apart across the hour.
    expect(await refused({ schedule: '1,59 * * * *' }, 'schedule')).toMatch(/more often than every 5 minutes/);
    const every5 = await createSchedule(t, { schedule: '*/5 * * * *' });
    expect(Date.parse(every5.next_runs[1]) - Date.parse(every5.next_runs[0])).toBe(5 * 60_000);
    await t.api(`/api/reports/scheduled/${every5.id}`, { method: 'DELETE' });
  });

  it('refuses an unknown type or format', async () => {
    await refused({ type: 'everything' }, 'type');
    await refused({ format: 'docx' }, 'format');
  });

  it("refuses recipients outside the tenant's active users, naming each, unless the tenant allows it", async () => {
    expect(await refused({ recipients: [t.email('ana'), 'someone@elsewhere.example'] }, 'recipients.1')).toMatch(
      /not an active user.*allow_external_recipients/,
    );
    await refused({ recipients: [t.email('gone')] }, 'recipients.0');
    await refused({ recipients: ['manager@acme.test'] }, 'recipients.0');

    const open = await scheduleTenant();
    await setting(open.api, 'reports', { allow_external_recipients: true });
    const res = await open.api('/api/reports/scheduled', {
      method: 'POST',
      body: scheduleBody(open, { recipients: ['Auditor@Elsewhere.example'] }),
    });
    expect(res.status).toBe(201);
    expect((await json(res)).recipients).toEqual(['auditor@elsewhere.example']);
  });

  it('refuses no recipients, more than 50, a repeated one, and one that is not an address', async () => {
    await refused({ recipients: [] }, 'recipients');
    await refused({ recipients: Array.from({ length: 51 }, (_, i) => `r${i}@${t.id}.test`) }, 'recipients');
    expect(await refused({ recipients: [t.email('ana'), t.email('ana').toUpperCase()] }, 'recipients.1')).toMatch(
      /repeats recipients.0/,
    );
    await refused({ recipients: ['not-an-address'] }, 'recipients.0');
  });

  it('refuses filters naming rows that are not in the tenant', async () => {
    await refused({ filters: { team_id: crypto.randomUUID() } }, 'filters.team_id');
    await refused({ filters: { department_id: crypto.randomUUID() } }, 'filters.department_id');
    await refused({ filters: { agent_id: crypto.randomUUID() } }, 'filters.agent_id');
    await refused({ filters: { criteria_set_id: crypto.randomUUID() } }, 'filters.criteria_set_id');
    const [acmeTeam] = await asTenant('acme', SYSTEM, 'system', [{ query: 'select id from teams limit 1' }]);
    await refused({ filters: { team_id: acmeTeam![0]!.id } }, 'filters.team_id');
    await refused({ filters: { from: '2026-01-01' } }, 'filters.from');
    await refused({ filters: { agent_id: 'nope' } }, 'filters.agent_id');
    await refused({ period_days: 0 }, 'period_days');
    await refused({ period_days: 400 }, 'period_days');
  });

  it('refuses a change that names something unusable, and changes nothing', async () => {
    const s = await createSchedule(t);
    const res = await t.api(`/api/reports/scheduled/${s.id}`, {
      method: 'PUT',
      body: { name: 'Never saved', recipients: ['x@elsewhere.example'] },
    });
    const problem = await expectProblem(res, 422);
    expect(problem.errors?.map((e) => e.field)).toEqual(['recipients.0']);
    await expectProblem(await t.api(`/api/reports/scheduled/${s.id}`, { method: 'PUT', body: {} }), 422);
    const list = (await json(await t.api('/api/reports/scheduled?limit=100'))).data as { id: string; name: string }[];
    expect(list.find((x) => x.id === s.id)?.name).toBe(s.name);
  });
});

describe('report schedules: security', () => {
  it("answers 404 for another tenant's schedule, and lists only the caller's", async () => {
    const s = await createSchedule(t);
    const put = await as('globex_manager', `/api/reports/scheduled/${s.id}`, { method: 'PUT', body: { name: 'Mine' } });
    await expectProblem(put, 404);
    await expectProblem(await as('globex_manager', `/api/reports/scheduled/${s.id}`, { method: 'DELETE' }), 404);
    const theirs = (await json(await as('globex_manager', '/api/reports/scheduled?limit=100'))).data as {
      id: string;
    }[];
    expect(theirs.map((x) => x.id)).not.toContain(s.id);
    const still = (await json(await t.api('/api/reports/scheduled?limit=100'))).data as { id: string; name: string }[];
    expect(still.find((x) => x.id === s.id)?.name).toBe(s.name);
  });

  it('refuses agents', async () => {
    await expectProblem(await as('acme_agent', '/api/reports/scheduled'), 403);
    await expectProblem(
      await as('acme_agent', '/api/reports/scheduled', {
        method: 'POST',
        body: { name: 'x', type: 'call_scores', format: 'csv', schedule: QUIET, recipients: ['agent@acme.test'] },
      }),
      403,
    );
  });
});

describe('the cron claim', () => {
  it('starts one report per due run with its period resolved in the tenant time zone, and moves the schedule on', async () => {
    const s = await createSchedule(t, { schedule: '0 7 * * 1', period_days: 7, filters: { team_id: t.team } });
    // 03:00 UTC on Nov 30 is 22:00 on Nov 29 in New York: the run's day is the 29th there.
    const due = '2026-11-30T03:00:00.000Z';
    await dueAt(t, s.id, due);
    const { lines } = await logLines(() => runCron());
    const logged = lines.find((l) => l.message === 'report schedule claim');
    expect(logged, 'the trigger logs the claim like the sweeps').toMatchObject({
      level: 'info',
      actor: 'system:scheduler',
    });

    const reports = await rowsOf(
      t,
      `select status, requested_by, type, format, filters, scheduled_for from reports where schedule_id = $1`,
      [s.id],
    );
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      status: 'queued',
      requested_by: 'system:scheduler',
      type: 'call_scores',
      format: 'csv',
      filters: { team_id: t.team, from: '2026-11-22', to: '2026-11-28' },
    });
    expect(new Date(reports[0]!.scheduled_for as string).toISOString()).toBe(due);

    const [moved] = await rowsOf(t, `select next_run_at::text, last_run_at::text from report_schedules where id = $1`, [
      s.id,
    ]);
    expect(new Date(moved!.last_run_at as string).toISOString()).toBe(due);
    const next = new Date(moved!.next_run_at as string);
    expect(next.getTime(), 'the next run is after now, not after the missed one').toBeGreaterThan(Date.now());
    const listed = (await json(await t.api('/api/reports/scheduled?limit=100'))).data.find(
      (x: { id: string }) => x.id === s.id,
    );
    expect(listed.next_runs[0]).toBe(next.toISOString());
    expect(listed.last_run_at).toBe(due);
  });

  it('end to end: the trigger runs the due schedule, the queue makes the file, and the emailed link downloads it', async () => {
    const s = await createSchedule(t, { schedule: '0 7 * * 1', period_days: 7, recipients: [t.email('ben')] });
    await dueAt(t, s.id, new Date(Date.now() - 60_000).toISOString());
    await runCron();

    const mail = await eventually(
      async () => (await mailTo(t.email('ben'))).find((m) => m.subject.includes(s.name)) ?? null,
      30_000,
    );
    const [report] = await rowsOf(t, `select id, status from reports where schedule_id = $1`, [s.id]);
    expect(report, 'one report, generated by the queue consumer').toMatchObject({ status: 'ready' });
    const link = mail.text.split('\n').find((line) => line.startsWith(`${env.R2_S3_ENDPOINT}/`))!;
    const url = new URL(link);
    const got = await call(url.pathname + url.search);
    expect(got.status).toBe(200);
    const csv = await got.text();
    expect(csv.replace(/^\ufeff/, '').split('\r\n')[0]).toMatch(/^Call,Started,Day,Agent,Team,Duration \(s\),Score/);
    expect(mail.text).toContain(`/api/reports/${report!.id}/download`);
    const viaApi = await t.api(`/api/reports/${report!.id}/download`);
    expect(viaApi.status).toBe(200);
    expect(await viaApi.text(), 'the API download is the same file').toBe(csv);
  });

  it('never starts two reports for one run, however many claims run at once', async () => {
    const s = await createSchedule(t);
    const rounds = 12;
    const dueTimes: string[] = [];
    let contended = 0;
    for (let i = 0; i < rounds; i++) {
      const due = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
      dueTimes.push(due);
      await dueAt(t, s.id, due);
      // Two triggers at once: the Worker's scheduled handler (which also sweeps) on one round in
      // four, the claim itself otherwise.
      if (i % 4 === 0) await Promise.all([runCron(), runCron()]);
      else {
        const results = await Promise.all([claim(), claim(), claim()]);
        // More than one claim saw the run due: they raced for it.
        if (results.filter((r) => r.due > 0).length > 1) contended++;
      }
    }
    const reports = await rowsOf(
      t,
      `select scheduled_for::text, count(*)::int as n from reports where schedule_id = $1 group by 1 order by 1`,
      [s.id],
    );
    expect(reports.map((r) => new Date(r.scheduled_for as string).toISOString())).toEqual(dueTimes);
    expect(
      reports.every((r) => r.n === 1),
      JSON.stringify(reports),
    ).toBe(true);
  });

  it("leaves a suspended tenant's schedules alone, neither run nor moved on, until it is active again", async () => {
    const other = await scheduleTenant();
    const s = await createSchedule(other);
    const due = '2026-06-01T12:00:00.000Z';
    await dueAt(other, s.id, due);
    const suspend = await as('super_admin', `/api/tenants/${other.id}`, {
      method: 'PUT',
      body: { status: 'suspended' },
    });
    expect(suspend.status).toBe(200);
    await claim();
    await runCron();
    const owner = (query: string) =>
      asTenant(other.id, 'platform-test', 'super_admin', [{ query, params: [s.id] }]).then(([r]) => r!);
    expect(await owner('select id from reports where schedule_id = $1')).toEqual([]);
    const [still] = await owner('select next_run_at::text as at from report_schedules where id = $1');
    expect(new Date(still!.at as string).toISOString()).toBe(due);

    await as('super_admin', `/api/tenants/${other.id}`, { method: 'PUT', body: { status: 'active' } });
    await claim();
    expect(await owner('select id from reports where schedule_id = $1')).toHaveLength(1);
  });
});

describe('delivery by email', () => {
  it('emails each recipient once, with a link that downloads the file, however often the message comes', async () => {
    const s = await createSchedule(t, { name: `Scorecard ${uniq()}`, recipients: [t.email('ana'), t.email('ben')] });
    const { reportId, content } = await readyReport(t, s.id);
    const msg = deliverMessage(t, reportId);
    const first = await deliver('qa-pipeline', [msg, msg]);
    expect(first.result.retryMessages).toEqual([]);
    await deliver('qa-pipeline', [msg]);

    for (const who of ['ana', 'ben']) {
      const mails = (await mailTo(t.email(who))).filter((m) => m.subject.includes(s.name));
      expect(mails, `${who} got exactly one email`).toHaveLength(1);
      const mail = mails[0]!;
      expect(mail.subject).toBe(`Reports ${t.id}: ${s.name}, 2026-11-23 to 2026-11-29`);
      expect(mail.text).toContain('Period: 2026-11-23 to 2026-11-29 (America/New_York)');
      expect(mail.text).toContain(`http://api.test/api/reports/${reportId}/download`);
      expect(mail.html).toContain(`/api/reports/${reportId}/download`);
      expect(mail.text, 'a link, never the file').not.toContain('Ana,91');

      const link = mail.text.split('\n').find((line) => line.startsWith(`${env.R2_S3_ENDPOINT}/`))!;
      expect(link, 'a presigned R2 URL').toContain('X-Amz-Signature=');
      const url = new URL(link);
      const got = await call(url.pathname + url.search);
      expect(got.status).toBe(200);
      expect(await got.text()).toBe(content);
      const expires = Number(url.searchParams.get('X-Amz-Expires'));
      expect(expires, 'valid until the report expires (7 days after it was made)').toBeGreaterThan(6 * 86_400);
      expect(expires).toBeLessThanOrEqual(7 * 86_400);
      const tampered = await call(url.pathname.replace(/\.csv$/, '.pdf') + url.search);
      expect(tampered.status, 'the link opens that object only').toBe(403);
    }
    const rows = await rowsOf(
      t,
      'select recipient, message_id, sent_at, error from report_deliveries where report_id = $1 order by recipient',
      [reportId],
    );
    expect(rows.map((r) => r.recipient)).toEqual([t.email('ana'), t.email('ben')]);
    expect(rows.every((r) => r.sent_at && r.message_id && r.error === null)).toBe(true);
  });

  it('a generation retried after the file was made hands the report to delivery, and it is emailed once', async () => {
    const to = await ownRecipient(t);
    const s = await createSchedule(t, { name: `Handed ${uniq()}`, recipients: [to] });
    // As a try leaves it that stopped after recording the file and before queueing the delivery.
    const { reportId } = await readyReport(t, s.id);
    const retried = { step: 'report', tenant_id: t.id, report_id: reportId } as const;
    await deliver('qa-pipeline', [retried]);
    const mail = await eventually(
      async () => (await mailTo(to)).find((m) => m.subject.includes(s.name)) ?? null,
      30_000,
    );
    expect(mail.text).toContain(`/api/reports/${reportId}/download`);
    await deliver('qa-pipeline', [retried]);
    await eventually(async () => {
      const rows = await rowsOf(t, 'select sent_at from report_deliveries where report_id = $1', [reportId]);
      return rows.length === 1 && rows[0]!.sent_at;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(
      (await mailTo(to)).filter((m) => m.subject.includes(s.name)),
      'one email',
    ).toHaveLength(1);
  });

  it('sends once when two deliveries of one report run at the same time', async () => {
    const s = await createSchedule(t, { name: `Twice ${uniq()}`, recipients: [t.email('ana'), t.email('ben')] });
    const { reportId } = await readyReport(t, s.id);
    const runs = await Promise.all([
      deliver('qa-pipeline', [deliverMessage(t, reportId)]),
      deliver('qa-pipeline', [deliverMessage(t, reportId)]),
    ]);
    // A send that met the other one's in flight is told so by the provider, and retried.
    if (runs.some((r) => r.result.retryMessages.length)) await deliver('qa-pipeline', [deliverMessage(t, reportId)]);
    for (const who of ['ana', 'ben'])
      expect(
        (await mailTo(t.email(who))).filter((m) => m.subject.includes(s.name)),
        who,
      ).toHaveLength(1);
  });

  it('sends nothing again after a crash between the send and its record: the provider key holds', async () => {
    const s = await createSchedule(t, { name: `Crash ${uniq()}` });
    const { reportId } = await readyReport(t, s.id);
    await deliver('qa-pipeline', [deliverMessage(t, reportId)]);
    const [sent] = await rowsOf(t, 'select message_id from report_deliveries where report_id = $1', [reportId]);
    // As if the step had died after the provider accepted the email and before sent_at was written.
    await rowsOf(t, 'update report_deliveries set sent_at = null, message_id = null where report_id = $1', [reportId]);
    const again = await deliver('qa-pipeline', [deliverMessage(t, reportId)]);
    expect(again.result.retryMessages).toEqual([]);
    const mails = (await mailTo(t.email('ana'))).filter((m) => m.subject.includes(s.name));
    expect(mails, 'the same message, not a second one').toHaveLength(1);
    const [after] = await rowsOf(t, 'select message_id, sent_at from report_deliveries where report_id = $1', [
      reportId,
    ]);
    expect(after).toMatchObject({ message_id: sent!.message_id });
    expect(after!.sent_at).not.toBeNull();
  });

  it('retries a recipient the provider could not take, and sends to the others only once', async () => {
    const [flaky, steady] = [await ownRecipient(t), await ownRecipient(t)];
    const s = await createSchedule(t, { name: `Retry ${uniq()}`, recipients: [steady, flaky] });
    const { reportId } = await readyReport(t, s.id);
    await fetch(`${env.EMAIL_API_URL}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ to: flaky, status: 503, times: 1 }),
    });
    const failed = await deliver('qa-pipeline', [deliverMessage(t, reportId)]);
    expect(failed.result.retryMessages, 'the step is retried').toHaveLength(1);
    const [pending] = await rowsOf(
      t,
      'select error, sent_at from report_deliveries where report_id = $1 and recipient = $2',
      [reportId, flaky],
    );
    expect(pending).toMatchObject({ sent_at: null });
    expect(pending!.error).toMatch(/503|application_error/);
    await deliver('qa-pipeline', [deliverMessage(t, reportId)]);
    for (const who of [steady, flaky])
      expect(
        (await mailTo(who)).filter((m) => m.subject.includes(s.name)),
        who,
      ).toHaveLength(1);
  });

  it('records a refusal the provider will not change, and does not retry it', async () => {
    const refused = await ownRecipient(t);
    const s = await createSchedule(t, { name: `Refused ${uniq()}`, recipients: [refused] });
    const { reportId } = await readyReport(t, s.id);
    await fetch(`${env.EMAIL_API_URL}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ to: refused, status: 422, times: 1 }),
    });
    const run = await deliver('qa-pipeline', [deliverMessage(t, reportId)]);
    expect(run.result.retryMessages).toEqual([]);
    const [row] = await rowsOf(t, 'select error, sent_at from report_deliveries where report_id = $1', [reportId]);
    expect(row).toMatchObject({ sent_at: null });
    expect(row!.error).toMatch(/^refused: /);
    await deliver('qa-pipeline', [deliverMessage(t, reportId)]);
    expect((await mailTo(refused)).filter((m) => m.subject.includes(s.name))).toEqual([]);
  });

  it('skips recipients who left, and pauses the schedule with a reason when all have', async () => {
    const leaverId = crypto.randomUUID();
    const leaver = `leaver-${uniq()}@${t.id}.test`;
    await rowsOf(t, `insert into users (id, tenant_id, email, role) values ($1, $2, $3, 'agent')`, [
      leaverId,
      t.id,
      leaver,
    ]);
    const s = await createSchedule(t, { name: `Leavers ${uniq()}`, recipients: [leaver, t.email('ben')] });
    await rowsOf(t, `update users set status = 'inactive' where id = $1`, [leaverId]);
    const partly = await readyReport(t, s.id);
    await deliver('qa-pipeline', [deliverMessage(t, partly.reportId)]);
    expect((await mailTo(leaver)).filter((m) => m.subject.includes(s.name))).toEqual([]);
    expect((await mailTo(t.email('ben'))).filter((m) => m.subject.includes(s.name))).toHaveLength(1);

    await rowsOf(t, `update users set status = 'inactive' where id = $1`, [t.users.ben]);
    try {
      const none = await readyReport(t, s.id);
      await deliver('qa-pipeline', [deliverMessage(t, none.reportId)]);
      expect(await rowsOf(t, 'select recipient from report_deliveries where report_id = $1', [none.reportId])).toEqual(
        [],
      );
      const listed = (await json(await t.api('/api/reports/scheduled?limit=100'))).data.find(
        (x: { id: string }) => x.id === s.id,
      );
      expect(listed).toMatchObject({ paused_reason: 'every recipient has left the tenant', next_runs: [] });

      // A paused schedule is not run, even when its time has come.
      await dueAt(t, s.id, '2026-02-01T00:00:00.000Z');
      await claim();
      expect(
        await rowsOf(t, 'select id from reports where schedule_id = $1 and status = $2', [s.id, 'queued']),
      ).toEqual([]);
    } finally {
      await rowsOf(t, `update users set status = 'active' where id = $1`, [t.users.ben]);
    }
    const resumed = await json(
      await t.api(`/api/reports/scheduled/${s.id}`, { method: 'PUT', body: { recipients: [t.email('ana')] } }),
    );
    expect(resumed).toMatchObject({ paused_reason: null, recipients: [t.email('ana')] });
    expect(resumed.next_runs).toHaveLength(3);
    expect(Date.parse(resumed.next_runs[0]), 'resumed from now, not from the missed run').toBeGreaterThan(Date.now());
  });

  it('emails an outside address when the tenant allows it', async () => {
    const open = await scheduleTenant();
    await setting(open.api, 'reports', { allow_external_recipients: true });
    const outsider = `auditor-${uniq()}@elsewhere.example`;
    const s = await createSchedule(open, { name: `Audit ${uniq()}`, recipients: [outsider] });
    const { reportId } = await readyReport(open, s.id);
    await deliver('qa-pipeline', [deliverMessage(open, reportId)]);
    expect(await mailTo(outsider)).toHaveLength(1);
  });

  it('sends nothing for a report that is not ready, or not scheduled', async () => {
    const s = await createSchedule(t, { name: `Early ${uniq()}` });
    const queuedId = crypto.randomUUID();
    await rowsOf(
      t,
      `insert into reports (id, tenant_id, type, format, filters, status, requested_by, schedule_id, scheduled_for)
       values ($1, $2, 'call_scores', 'csv', '{"from":"2026-11-23","to":"2026-11-29"}', 'queued', 'system:scheduler', $3, now())`,
      [queuedId, t.id, s.id],
    );
    const run = await deliver('qa-pipeline', [deliverMessage(t, queuedId), deliverMessage(t, crypto.randomUUID())]);
    expect(run.result.retryMessages).toEqual([]);
    expect(await rowsOf(t, 'select recipient from report_deliveries where report_id = $1', [queuedId])).toEqual([]);
    expect((await mailTo(t.email('ana'))).filter((m) => m.subject.includes(s.name))).toEqual([]);
  });
});

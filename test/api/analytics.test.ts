/**
 * Analytics through the public surface: calls enter by POST /api/calls, are scored by the queue
 * handler's evaluate step (re-analyses, duplicated messages), deleted by DELETE /api/calls/{id},
 * and the rollups the endpoints read must agree with the calls themselves.
 */
import { describe, expect, it } from 'vitest';
import billingVerified from '../../dev/samples/billing-verified.json';
import type { PipelineMessage } from '../../src/pipeline/messages';
import {
  as,
  asTenant,
  call,
  runtimeSql,
  deliver,
  expectProblem,
  IDS,
  json,
  uploadTranscribed,
  wavBytes,
} from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const SYSTEM = 'system:pipeline';

const TRANSCRIPTS = [
  billingVerified.text,
  'What do you want? I do not have time for this. Call back later.',
  'Good morning, you are speaking with Ana, how can I help? Thanks for your patience, is there anything else?',
];

/** A tenant of its own (so other files' calls never enter its figures), with an organization per time zone. */
async function analyticsTenant() {
  const id = `an${uniq()}`;
  const created = await as('super_admin', '/api/tenants', {
    method: 'POST',
    body: {
      tenant_id: id,
      display_name: 'Analytics',
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
  const agents = { ny1: crypto.randomUUID(), ny2: crypto.randomUUID(), utc: crypto.randomUUID() };
  const team = crypto.randomUUID();
  const [orgNy, orgUtc] = await asTenant(id, SYSTEM, 'system', [
    {
      query: `insert into organizations (tenant_id, name, timezone) values ($1, 'East', 'America/New_York') returning id`,
      params: [id],
    },
    {
      query: `insert into organizations (tenant_id, name, timezone) values ($1, 'Zulu', 'UTC') returning id`,
      params: [id],
    },
  ]);
  await asTenant(id, SYSTEM, 'system', [
    {
      query: `insert into teams (id, tenant_id, organization_id, name) values ($1, $2, $3, 'Team East')`,
      params: [team, id, orgNy![0]!.id],
    },
    {
      query: `insert into users (id, tenant_id, email, role, organization_id, team_id, first_name) values
                ($1, $4, 'ny1@' || $4 || '.test', 'agent', $5, $7, 'Nia'),
                ($2, $4, 'ny2@' || $4 || '.test', 'agent', $5, $7, 'Noor'),
                ($3, $4, 'utc@' || $4 || '.test', 'agent', $6, null, 'Uma')`,
      params: [agents.ny1, agents.ny2, agents.utc, id, orgNy![0]!.id, orgUtc![0]!.id, team],
    },
  ]);
  const get = (path: string) => call(path, { headers: { authorization: `Bearer ${token}` } });
  return { id, token, agents, team, get };
}
type Tenant = Awaited<ReturnType<typeof analyticsTenant>>;

/** A call ready to be scored: uploaded, failed by the local pipeline, given a transcript. */
const upload = (t: Tenant, agentId: string | null, startedAt: string, text: string) =>
  uploadTranscribed(t.id, t.token, { agent_id: agentId, started_at: startedAt }, text);

const reanalysis = (t: Tenant, callId: string, key = crypto.randomUUID()): PipelineMessage => ({
  step: 'evaluate',
  tenant_id: t.id,
  call_id: callId,
  run_key: `reanalysis:${key}`,
});

async function score(messages: PipelineMessage[]) {
  const { result } = await deliver('qa-pipeline', messages);
  expect(result.retryMessages, 'every evaluation succeeded').toEqual([]);
}

/**
 * The figures straight from the calls, for local days [from, to] in `tz`: a completed call's score
 * of record, and the auto-fail in force for its current evaluation (its review's, else the model's).
 */
async function direct(t: Tenant, tz: string, from: string, to: string, agentId?: string) {
  const [rows] = await asTenant(t.id, SYSTEM, 'system', [
    {
      query: `
        with c as (
          select c.*, e.auto_failed from calls c
          left join lateral (
            select coalesce(r.auto_failed, e.auto_failed) as auto_failed
            from evaluations e left join evaluation_reviews r on r.evaluation_id = e.id
            where e.call_id = c.id and e.current
          ) e on true
          where c.status <> 'uploaded'
            and coalesce(c.started_at, c.created_at) >= ($2::date)::timestamp at time zone $1
            and coalesce(c.started_at, c.created_at) < ($3::date + 1)::timestamp at time zone $1
            and ($4::uuid is null or c.agent_id = $4::uuid)
        )
        select count(*)::int as received, count(*) filter (where status = 'completed')::int as scored,
               count(*) filter (where status = 'failed')::int as failed,
               round(avg(overall_score) filter (where status = 'completed'), 1)::float8 as average,
               count(*) filter (where status = 'completed' and not auto_failed and overall_score >= 70)::int as passed,
               count(*) filter (where status = 'completed' and auto_failed)::int as auto_failed
        from c`,
      params: [tz, from, to, agentId ?? null],
    },
  ]);
  return rows![0] as {
    received: number;
    scored: number;
    failed: number;
    average: number | null;
    passed: number;
    auto_failed: number;
  };
}

const addDays = (d: string, n: number) =>
  new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

describe('analytics: the summary agrees with the calls', () => {
  it(
    'for random ranges after random uploads, re-analyses (duplicated) and deletes, counts and averages equal the raw data',
    { timeout: 120_000 },
    async () => {
      const t = await analyticsTenant();
      const base = '2026-10-01';
      const agents = [t.agents.ny1, t.agents.ny2];
      // Random start times over 20 days, around local midnights too.
      const planned = Array.from({ length: 10 }, (_, i) => {
        const day = addDays(base, Math.floor(Math.random() * 20));
        const hour = [0, 3, 4, 5, 12, 23][Math.floor(Math.random() * 6)]!;
        return {
          agent: agents[i % 2]!,
          at: `${day}T${String(hour).padStart(2, '0')}:${String(Math.floor(Math.random() * 60)).padStart(2, '0')}:00Z`,
          text: TRANSCRIPTS[Math.floor(Math.random() * TRANSCRIPTS.length)]!,
        };
      });
      const ids = await Promise.all(planned.map((p) => upload(t, p.agent, p.at, p.text)));
      // Most are scored, some twice (each message delivered twice), one is deleted, the rest stay failed.
      const scoredOnce = ids.slice(0, 7);
      await score(
        scoredOnce.flatMap((id) => {
          const m = reanalysis(t, id);
          return [m, m];
        }),
      );
      await score(ids.slice(0, 3).map((id) => reanalysis(t, id)));
      const deleted = ids[5]!;
      const del = await call(`/api/calls/${deleted}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${t.token}` },
      });
      expect(del.status).toBe(204);

      for (let i = 0; i < 6; i++) {
        const from = addDays(base, Math.floor(Math.random() * 20) - 2);
        const to = addDays(from, Math.floor(Math.random() * 12));
        const agentId = i % 3 === 0 ? agents[i % 2] : undefined;
        const qs = new URLSearchParams({ from_date: from, to_date: to, ...(agentId ? { agent_id: agentId } : {}) });
        const res = await t.get(`/api/analytics/summary?${qs}`);
        expect(res.status).toBe(200);
        const s = await json(res);
        const raw = await direct(t, 'America/New_York', from, to, agentId);
        expect(s.current, `${from}..${to} ${agentId ?? 'all'}`).toMatchObject({
          calls_received: raw.received,
          calls_scored: raw.scored,
          calls_failed: raw.failed,
          average_score: raw.average,
          pass_rate: raw.scored ? Math.round((raw.passed / raw.scored) * 1000) / 1000 : null,
          auto_fail_rate: raw.scored ? Math.round((raw.auto_failed / raw.scored) * 1000) / 1000 : null,
        });
        // The previous period is the same number of days just before.
        const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
        expect(s.previous_period).toEqual({ from_date: addDays(from, -days), to_date: addDays(from, -1) });
        const before = await direct(t, 'America/New_York', addDays(from, -days), addDays(from, -1), agentId);
        expect(s.previous).toMatchObject({
          calls_received: before.received,
          calls_scored: before.scored,
          average_score: before.average,
        });
      }

      // Over the whole history, the calls list (its own filters) gives the same counts and average.
      const all = await json(await t.get(`/api/analytics/summary?from_date=2026-09-01&to_date=2026-11-30`));
      const list = await json(await t.get('/api/calls?limit=100'));
      const completed = list.data.filter((c: { status: string }) => c.status === 'completed');
      expect(all.current.calls_received).toBe(list.pagination.total);
      expect(all.current.calls_received).toBe(9);
      expect(all.current.calls_scored).toBe(completed.length);
      expect(all.current.calls_scored).toBe(6);
      expect(all.current.calls_failed).toBe(list.data.filter((c: { status: string }) => c.status === 'failed').length);
      const mean =
        completed.reduce((n: number, c: { overall_score: number }) => n + c.overall_score, 0) / completed.length;
      expect(all.current.average_score).toBe(Math.round(mean * 10) / 10);
      // Criterion figures: the current criterion results of the remaining calls, nothing of the deleted one.
      const [critRows] = await asTenant(t.id, SYSTEM, 'system', [
        {
          query: `select (select coalesce(sum(n), 0)::int from analytics_daily_criteria) as rolled,
                       (select count(*)::int from criterion_results where current and released) as raw,
                       (select coalesce(sum(points), 0)::int from analytics_daily_criteria) as rolled_points,
                       (select coalesce(sum(effective_score), 0)::int from criterion_results where current and released) as raw_points`,
        },
      ]);
      const crit = critRows![0]!;
      expect(crit.rolled).toBe(crit.raw);
      expect(crit.rolled_points).toBe(crit.raw_points);
      expect(all.lowest_criteria.length).toBeGreaterThan(0);
      expect(all.lowest_criteria.length).toBeLessThanOrEqual(5);
      const pcts = all.lowest_criteria.map((c: { pct: number }) => c.pct);
      expect(pcts, 'lowest first').toEqual([...pcts].sort((a, b) => a - b));
    },
  );

  it(
    'counts a call on its local day across a daylight-saving change, and trends keep empty days at 0',
    { timeout: 60_000 },
    async () => {
      const t = await analyticsTenant();
      // America/New_York moves to EDT at 2026-03-08 07:00Z. 04:30Z is 23:30 on the 7th (EST),
      // 05:30Z 00:30 on the 8th; on the 9th, 03:30Z is 23:30 on the 8th (EDT), 04:30Z 00:30 on the 9th.
      for (const at of ['2026-03-08T04:30:00Z', '2026-03-08T05:30:00Z', '2026-03-09T03:30:00Z', '2026-03-09T04:30:00Z'])
        await upload(t, t.agents.ny1, at, TRANSCRIPTS[0]!);
      // The same instants for an agent in UTC fall on their UTC days.
      await upload(t, t.agents.utc, '2026-03-08T04:30:00Z', TRANSCRIPTS[0]!);

      const day = async (d: string, agent: string) =>
        (await json(await t.get(`/api/analytics/summary?from_date=${d}&to_date=${d}&agent_id=${agent}`))).current
          .calls_received;
      expect(await day('2026-03-07', t.agents.ny1)).toBe(1);
      expect(await day('2026-03-08', t.agents.ny1)).toBe(2);
      expect(await day('2026-03-09', t.agents.ny1)).toBe(1);
      expect(await day('2026-03-08', t.agents.utc)).toBe(1);

      const trend = await json(
        await t.get(
          `/api/analytics/trends?metric=volume&period=day&from_date=2026-03-05&to_date=2026-03-10&agent_id=${t.agents.ny1}`,
        ),
      );
      expect(trend.series).toHaveLength(1);
      expect(trend.series[0].points).toEqual([
        { bucket: '2026-03-05', value: 0, count: 0 },
        { bucket: '2026-03-06', value: 0, count: 0 },
        { bucket: '2026-03-07', value: 1, count: 1 },
        { bucket: '2026-03-08', value: 2, count: 2 },
        { bucket: '2026-03-09', value: 1, count: 1 },
        { bucket: '2026-03-10', value: 0, count: 0 },
      ]);
      const weekly = await json(
        await t.get(
          `/api/analytics/trends?metric=volume&period=week&from_date=2026-03-01&to_date=2026-03-15&group_by=agent`,
        ),
      );
      const byAgent = Object.fromEntries(
        weekly.series.map((s: { key: string; points: unknown[] }) => [s.key, s.points]),
      );
      // ISO weeks start on Monday: 2026-02-23, 03-02, 03-09.
      expect(byAgent[t.agents.ny1]).toEqual([
        { bucket: '2026-02-23', value: 0, count: 0 },
        { bucket: '2026-03-02', value: 3, count: 3 },
        { bucket: '2026-03-09', value: 1, count: 1 },
      ]);
      expect(byAgent[t.agents.utc].map((p: { count: number }) => p.count)).toEqual([0, 1, 0]);
    },
  );

  it(
    'a re-analysis moves the rollups exactly once, however often its message arrives',
    { timeout: 60_000 },
    async () => {
      const t = await analyticsTenant();
      const id = await upload(t, t.agents.utc, '2026-05-05T12:00:00Z', TRANSCRIPTS[0]!);
      const first = reanalysis(t, id);
      await score([first, first, first]);
      await score([first]);
      const rolled = async () => {
        const [dRows, crit, evRows] = await asTenant(t.id, SYSTEM, 'system', [
          {
            query: `select received, scored, failed, score_sum::int as score_sum from analytics_daily where day = '2026-05-05'`,
          },
          {
            query: `select criterion_id, n, points::int as points from analytics_daily_criteria where day = '2026-05-05' order by 1`,
          },
          { query: `select overall_score from calls where id = $1`, params: [id] },
        ]);
        return { daily: dRows![0], crit: crit!, score: evRows![0]!.overall_score as number };
      };
      const once = await rolled();
      expect(once.daily).toEqual({ received: 1, scored: 1, failed: 0, score_sum: once.score });
      expect(once.crit.every((c) => c.n === 1)).toBe(true);

      // A second re-analysis, on another transcript, duplicated across two batches.
      await asTenant(t.id, SYSTEM, 'system', [
        {
          query: `update transcripts set utterances = jsonb_set(utterances, '{0,text}', to_jsonb($2::text)) where call_id = $1`,
          params: [id, TRANSCRIPTS[1]],
        },
      ]);
      const second = reanalysis(t, id);
      await score([second, second]);
      await score([second]);
      const twice = await rolled();
      expect(twice.daily).toEqual({ received: 1, scored: 1, failed: 0, score_sum: twice.score });
      expect(
        twice.crit.every((c) => c.n === 1),
        'the retired scoring was subtracted',
      ).toBe(true);
      const [rawRows] = await asTenant(t.id, SYSTEM, 'system', [
        {
          query: `select sum(score)::int as points from criterion_results where call_id = $1 and current`,
          params: [id],
        },
      ]);
      expect(twice.crit.reduce((n, c) => n + (c.points as number), 0)).toBe(rawRows![0]!.points);
    },
  );
});

describe('analytics: the rollups follow human reviews', () => {
  it(
    'after random reviews, re-analyses and a delete across grading modes, summary, trends and agent performance equal the effective scores',
    { timeout: 180_000 },
    async () => {
      const t = await analyticsTenant();
      const post = (path: string, body: unknown, method = 'POST') =>
        call(path, { method, headers: { authorization: `Bearer ${t.token}` }, body });
      const criteria: { id: string; max: number; autoFail: boolean }[] = [];
      for (const template of ['greeting', 'identity_verification', 'closing']) {
        const c = await json(await post('/api/evaluation-criteria', { template_id: template }));
        criteria.push({ id: c.id, max: c.max_points, autoFail: c.auto_fail });
      }
      const sets: Record<string, string> = {};
      for (const mode of ['ai_auto', 'ai_review', 'manual']) {
        const res = await post('/api/evaluation-criteria/sets', {
          name: mode,
          criteria_ids: criteria.map((c) => c.id),
          grading_mode: mode,
        });
        expect(res.status).toBe(201);
        sets[mode] = (await json(res)).id;
      }
      const base = '2026-09-01';
      const agents = [t.agents.ny1, t.agents.ny2];
      const modes = ['ai_auto', 'ai_review', 'manual'] as const;
      const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;
      const planned = Array.from({ length: 12 }, (_, i) => ({
        agent: agents[i % 2]!,
        mode: modes[i % 3]!,
        at: `${addDays(base, Math.floor(Math.random() * 8))}T${pick(['03', '04', '12', '23'])}:30:00Z`,
        text: pick(TRANSCRIPTS),
      }));
      const ids = await Promise.all(
        planned.map(async (p) => {
          const id = await upload(t, p.agent, p.at, p.text);
          await asTenant(t.id, SYSTEM, 'system', [
            { query: 'update calls set criteria_set_id = $2 where id = $1', params: [id, sets[p.mode]] },
          ]);
          return id;
        }),
      );
      await score(ids.map((id) => reanalysis(t, id)));

      /** A random review: some criteria (all of them on a manual set), random scores, sometimes auto-fail or confirm. */
      const randomReview = async (i: number) => {
        const manual = planned[i]!.mode === 'manual';
        const chosen = manual ? criteria : criteria.filter(() => Math.random() < 0.6);
        const list = (chosen.length ? chosen : [criteria[0]!]).map((c) =>
          !manual && Math.random() < 0.2
            ? { criterion_id: c.id, confirm: true }
            : {
                criterion_id: c.id,
                score: Math.floor(Math.random() * (c.max + 1)),
                ...(c.autoFail && Math.random() < 0.2 ? { auto_fail: true } : {}),
              },
        );
        const res = await post(`/api/calls/${ids[i]}/review`, { criteria: list }, 'PUT');
        expect(res.status, await res.clone().text()).toBe(200);
      };
      // Every manual call and most others reviewed, some twice; a few ai_review calls left waiting.
      for (let i = 0; i < ids.length; i++) {
        if (planned[i]!.mode !== 'manual' && Math.random() < 0.25) continue;
        await randomReview(i);
        if (Math.random() < 0.3) await randomReview(i);
      }
      // Re-analyses after reviews (an ai_review one waits again), then reviews of some new evaluations.
      await score([reanalysis(t, ids[0]!), reanalysis(t, ids[1]!)]);
      if (Math.random() < 0.5) await randomReview(1);
      const gone = ids[2]!;
      const del = await call(`/api/calls/${gone}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${t.token}` },
      });
      expect(del.status).toBe(204);

      const tz = 'America/New_York';
      for (let i = 0; i < 5; i++) {
        const from = addDays(base, Math.floor(Math.random() * 8) - 1);
        const to = addDays(from, Math.floor(Math.random() * 6));
        const agentId = i % 2 === 0 ? pick(agents) : undefined;
        const qs = new URLSearchParams({ from_date: from, to_date: to, ...(agentId ? { agent_id: agentId } : {}) });
        const s = await json(await t.get(`/api/analytics/summary?${qs}`));
        const raw = await direct(t, tz, from, to, agentId);
        expect(s.current, `${from}..${to} ${agentId ?? 'all'}`).toMatchObject({
          calls_received: raw.received,
          calls_scored: raw.scored,
          average_score: raw.average,
          pass_rate: raw.scored ? Math.round((raw.passed / raw.scored) * 1000) / 1000 : null,
          auto_fail_rate: raw.scored ? Math.round((raw.auto_failed / raw.scored) * 1000) / 1000 : null,
        });
      }

      // Per day, the trend of the average equals the scores of record of that day.
      const from = base;
      const to = addDays(base, 7);
      const trend = await json(
        await t.get(`/api/analytics/trends?metric=average_score&period=day&from_date=${from}&to_date=${to}`),
      );
      for (const point of trend.series[0].points as { bucket: string; value: number | null; count: number }[]) {
        const raw = await direct(t, tz, point.bucket, point.bucket);
        expect(point, point.bucket).toEqual({ bucket: point.bucket, value: raw.average, count: raw.scored });
      }
      // Per agent, the performance figures too.
      const perf = await json(
        await t.get(`/api/analytics/agent-performance?period=week&from_date=${from}&to_date=${to}`),
      );
      for (const agentId of agents) {
        const raw = await direct(t, tz, from, to, agentId);
        expect(
          perf.agents.find((a: { agent_id: string }) => a.agent_id === agentId),
          agentId,
        ).toMatchObject({
          calls: raw.received,
          calls_scored: raw.scored,
          average_score: raw.average,
          pass_rate: raw.scored ? Math.round((raw.passed / raw.scored) * 1000) / 1000 : null,
        });
      }

      // Criterion figures: the effective values of the released current results, nothing of the deleted call.
      const [critRows, waiting] = await asTenant(t.id, SYSTEM, 'system', [
        {
          query: `select d.criterion_id, d.n, d.points::int as points, d.passed, r.n as raw_n, r.points as raw_points, r.passed as raw_passed
                  from (select criterion_id, sum(n)::int as n, sum(points) as points, sum(passed)::int as passed
                          from analytics_daily_criteria group by criterion_id) d
                  full join (select criterion_id, count(*)::int as n, sum(effective_score)::int as points,
                                    count(*) filter (where effective_passed)::int as passed
                               from criterion_results where current and released group by criterion_id) r
                    on r.criterion_id = d.criterion_id`,
        },
        { query: `select count(*)::int as n from calls where status = 'awaiting_review'` },
      ]);
      for (const c of critRows!)
        expect({ n: c.n, points: c.points, passed: c.passed }, String(c.criterion_id)).toEqual({
          n: c.raw_n ?? 0,
          points: c.raw_points ?? 0,
          passed: c.raw_passed ?? 0,
        });
      // The waiting calls are received, not scored, in both.
      const all = await json(await t.get(`/api/analytics/summary?from_date=2026-08-01&to_date=2026-10-31`));
      const list = await json(await t.get('/api/calls?limit=100'));
      expect(all.current.calls_received).toBe(list.pagination.total);
      expect(all.current.calls_scored).toBe(
        list.data.filter((c: { status: string }) => c.status === 'completed').length,
      );
      expect(all.current.calls_received - all.current.calls_scored - all.current.calls_failed).toBe(waiting![0]!.n);
    },
  );
});

describe('analytics: where calls are counted', () => {
  it('a direct upload is received when it completes, not when it is announced', { timeout: 60_000 }, async () => {
    const t = await analyticsTenant();
    const audio = wavBytes(1);
    const post = (path: string, body?: unknown) =>
      call(path, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, ...(body ? { body } : {}) });
    const up = await json(
      await post('/api/calls/uploads', {
        content_type: 'audio/wav',
        content_length: audio.byteLength,
        metadata: { agent_id: t.agents.utc, started_at: '2026-07-04T10:00:00Z' },
      }),
    );
    const received = async () =>
      (await json(await t.get('/api/analytics/summary?from_date=2026-07-04&to_date=2026-07-04'))).current
        .calls_received;
    expect(await received(), 'announced only').toBe(0);
    const path = new URL(up.upload_url).pathname + new URL(up.upload_url).search;
    expect((await call(path, { method: 'PUT', headers: up.headers, body: audio })).status).toBe(200);
    expect((await post(`/api/calls/${up.call_id}/complete`)).status).toBe(202);
    expect(await received(), 'received on the day it started').toBe(1);
    // Completing twice counts it once.
    await post(`/api/calls/${up.call_id}/complete`);
    expect(await received()).toBe(1);
  });
});

describe('analytics: who sees what', () => {
  it('an agent gets its own figures whatever it asks for; the database holds it to them too', async () => {
    const me = IDS['agent@acme.test']!;
    const other = IDS['agent2@acme.test']!;
    const range = 'from_date=2026-01-01&to_date=2027-12-31';
    const mine = await json(await as('acme_agent', `/api/analytics/summary?${range}&agent_id=${other}`));
    expect(mine.agent_id).toBe(me);
    const managerView = await json(await as('acme_manager', `/api/analytics/summary?${range}&agent_id=${me}`));
    expect(mine.current).toEqual(managerView.current);
    const [rows] = await asTenant('acme', me, 'agent', [{ query: 'select distinct agent_id from analytics_daily' }]);
    expect(rows!.every((r) => r.agent_id === me)).toBe(true);
    await expectProblem(await as('acme_agent', '/api/analytics/trends?metric=volume'), 403);
    await expectProblem(await as('acme_agent', '/api/analytics/agent-performance'), 403);
  });

  it("globex sees none of acme's figures, and may not name acme's team", async () => {
    const t = await analyticsTenant();
    await upload(t, t.agents.ny1, '2026-06-01T15:00:00Z', TRANSCRIPTS[0]!);
    const [mineRows] = await asTenant(t.id, SYSTEM, 'system', [
      { query: 'select count(*)::int as n from analytics_daily' },
    ]);
    expect(mineRows![0]!.n).toBeGreaterThan(0);
    const [rows] = await asTenant('globex', IDS['manager@globex.test']!, 'manager', [
      { query: 'select count(*)::int as n from analytics_daily where tenant_id <> $1', params: ['globex'] },
    ]);
    expect(rows![0]!.n).toBe(0);
    const body = await expectProblem(await as('globex_manager', `/api/analytics/summary?team_id=${t.team}`), 422);
    expect(body.errors?.map((e) => e.field)).toEqual(['team_id']);
    const perf = await json(
      await as('globex_manager', '/api/analytics/agent-performance?from_date=2026-06-01&to_date=2026-06-01'),
    );
    expect(perf.agents.map((a: { agent_id: string }) => a.agent_id)).not.toContain(t.agents.ny1);
  });
});

describe('analytics: the rollup tables', () => {
  it('have row-level security enabled and forced, and no audit trigger (derived counters)', async () => {
    const rows = await runtimeSql().query(
      `select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
              exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = c.relname || '_audit') as audited
         from pg_class c where c.relkind = 'r' and c.relname like 'analytics\\_%' order by c.relname`,
    );
    expect(rows).toEqual(
      ['analytics_call_facts', 'analytics_daily', 'analytics_daily_criteria', 'analytics_daily_requirements'].map(
        (table) => ({
          table,
          enabled: true,
          forced: true,
          audited: false,
        }),
      ),
    );
  });

  it('cannot be written for another tenant by the runtime role', async () => {
    await expect(
      asTenant('acme', IDS['manager@acme.test']!, 'manager', [
        {
          query: `insert into analytics_daily (tenant_id, day, agent_id, received) values ('globex', '2026-01-01', $1, 1)`,
          params: [crypto.randomUUID()],
        },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
  });
});

describe('analytics: agent performance', () => {
  it(
    'ranks agents by average score in team and tenant, with per-criterion % and the change against the previous period',
    { timeout: 60_000 },
    async () => {
      const t = await analyticsTenant();
      const good = await upload(t, t.agents.ny1, '2026-04-10T15:00:00Z', TRANSCRIPTS[0]!);
      const bad = await upload(t, t.agents.ny2, '2026-04-10T15:00:00Z', TRANSCRIPTS[1]!);
      const earlier = await upload(t, t.agents.ny1, '2026-04-03T15:00:00Z', TRANSCRIPTS[1]!);
      await score([reanalysis(t, good), reanalysis(t, bad), reanalysis(t, earlier)]);
      const perf = await json(await t.get('/api/analytics/agent-performance?from_date=2026-04-08&to_date=2026-04-14'));
      expect(perf.previous_period).toEqual({ from_date: '2026-04-01', to_date: '2026-04-07' });
      const byId = Object.fromEntries(perf.agents.map((a: { agent_id: string }) => [a.agent_id, a]));
      const [ny1, ny2, utc] = [byId[t.agents.ny1], byId[t.agents.ny2], byId[t.agents.utc]];
      expect(ny1.average_score).toBeGreaterThan(ny2.average_score);
      expect([ny1.team_rank, ny1.tenant_rank, ny2.team_rank, ny2.tenant_rank]).toEqual([1, 1, 2, 2]);
      expect(utc).toMatchObject({ calls: 0, average_score: null, tenant_rank: null, team_rank: null });
      expect(ny1.criteria.length).toBeGreaterThan(0);
      expect(ny1.previous.calls).toBe(1);
      expect(ny1.change.average_score).toBe(Math.round((ny1.average_score - ny1.previous.average_score) * 10) / 10);
      const only = await json(
        await t.get(
          `/api/analytics/agent-performance?from_date=2026-04-08&to_date=2026-04-14&agent_id=${t.agents.ny2}`,
        ),
      );
      expect(only.agents).toHaveLength(1);
      expect(only.agents[0].tenant_rank, 'ranked among all agents').toBe(2);
    },
  );
});

describe('analytics: bad input', () => {
  it.each([
    ['/api/analytics/summary?from_date=2026-05-02&to_date=2026-05-01', 'from_date'],
    ['/api/analytics/summary?from_date=2024-01-01&to_date=2026-05-01', 'to_date'],
    ['/api/analytics/summary?from_date=2026-05-01', 'to_date'],
    ['/api/analytics/summary?from_date=2026-13-01&to_date=2026-12-01', 'from_date'],
    ['/api/analytics/trends?metric=revenue', 'metric'],
    ['/api/analytics/trends?metric=volume&period=year', 'period'],
    ['/api/analytics/trends?metric=volume&group_by=site', 'group_by'],
    ['/api/analytics/agent-performance?from_date=2026-05-02&to_date=2026-05-01', 'from_date'],
    [`/api/analytics/trends?metric=volume&team_id=${crypto.randomUUID()}`, 'team_id'],
  ])('%s is 422 naming %s', async (path, field) => {
    const body = await expectProblem(await as('acme_manager', path), 422);
    expect(body.errors?.map((e) => e.field)).toEqual([field]);
  });
});

/**
 * GET /api/analytics/ai-agreement over calibration consensus: 48 calls the AI scored over two
 * weeks, calibrated by two graders in a closed session (and an open session that must not count).
 * The expected figures come from the textbook implementations (agreement-naive.ts) over the raw
 * pairs this file made, never from the code under test.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { between, naiveAlpha, naiveKappa, naiveQuadraticKappa, random } from './agreement-naive';
import { A, createSession, GREET, M, putOk, score, scoredCall, sessions, VERIFY } from './calibration-fixtures';
import { as, asTenant, expectProblem, json } from './helpers';
import { reportTenant, score as scoreCalls, TRANSCRIPTS, upload } from './scored-calls';

const WEEKS = [
  { monday: '2026-10-12', scoredAt: '2026-10-14T12:00:00Z' },
  { monday: '2026-10-19', scoredAt: '2026-10-21T12:00:00Z' },
];
const RANGE = 'from_date=2026-10-12&to_date=2026-10-25';
const endpoint = '/api/analytics/ai-agreement';

interface Made {
  week: string;
  ai: number;
  aiPassed: boolean;
  m: number;
  a: number;
}
const made: Made[] = [];
const median = (x: number, y: number) => (x + y) / 2;
const passes = (points: number) => points >= 3;
/** Two graders: agreeing verdicts make the consensus; a split is a tie (no verdict). */
const verdict = (m: number, a: number) => (passes(m) === passes(a) ? passes(m) : null);

beforeAll(async () => {
  const rnd = random(2026);
  const near = (x: number) => {
    const r = rnd();
    if (r < 0.55) return x;
    if (r < 0.85) return Math.min(5, Math.max(0, x + (rnd() < 0.5 ? -1 : 1)));
    return between(rnd, 0, 5);
  };
  const calls: string[] = [];
  for (let i = 0; i < 48; i++) {
    const week = WEEKS[i % 2]!;
    const ai = between(rnd, 0, 5);
    // The AI's verdict does not always follow its points, so the two kappas differ.
    const aiPassed = rnd() < 0.8 ? passes(ai) : !passes(ai);
    const c = await scoredCall({ greet: [ai, aiPassed], verify: [i % 10, i % 10 >= 6] }, week.scoredAt);
    calls.push(c.id);
    made.push({ week: week.monday, ai, aiPassed, m: near(ai), a: near(ai) });
  }
  const closed = await createSession(calls, [M, A]);
  const open = await createSession(calls.slice(0, 5), [M, A]);
  for (const [i, callId] of calls.entries()) {
    const x = made[i]!;
    // Verification is calibrated on the first four calls only.
    const verify = i < 4 ? [score(VERIFY, 9, true)] : [];
    await putOk('acme_manager', closed.id, callId, [score(GREET, x.m, passes(x.m)), ...verify]);
    await putOk('acme_admin', closed.id, callId, [score(GREET, x.a, passes(x.a)), ...verify]);
  }
  await putOk('acme_manager', open.id, calls[0]!, [score(GREET, 0, false)]);
  expect((await as('acme_manager', `${sessions}/${closed.id}/close`, { method: 'POST' })).status).toBe(200);
});

/** The expected figures of some of the pairs, from the raw pairs. */
function expected(rows: Made[]) {
  const decided = rows.filter((r) => verdict(r.m, r.a) !== null);
  return {
    n: rows.length,
    passN: decided.length,
    kappa: naiveKappa(decided.map((r) => [r.aiPassed, verdict(r.m, r.a)])),
    // Half points: the weighted kappa on the doubled scale is the same number.
    weighted: naiveQuadraticKappa(
      rows.map((r) => [2 * r.ai, 2 * median(r.m, r.a)]),
      10,
    ),
    mad: rows.reduce((s, r) => s + Math.abs(r.ai - median(r.m, r.a)), 0) / rows.length,
    exact: decided.filter((r) => r.aiPassed === verdict(r.m, r.a)).length / decided.length,
  };
}

describe('AI agreement from calibration consensus', () => {
  it('per criterion: n, agreement, both kappas and the humans’ alpha, with the weekly series', async () => {
    const res = await as('acme_manager', `${endpoint}?${RANGE}&criterion_id=${GREET.id}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      from_date: '2026-10-12',
      to_date: '2026-10-25',
      group_by: 'criterion',
      min_pairs: 30,
    });
    expect(body.criteria).toHaveLength(1);
    const greet = body.criteria[0];
    const all = expected(made);
    expect(greet).toMatchObject({
      criterion_id: GREET.id,
      name: 'Greeting',
      max_points: 5,
      n: 48,
      sources: [{ source: 'calibration', n: 48 }],
    });
    expect(all.passN, 'enough pairs with a verdict for kappa').toBeGreaterThanOrEqual(30);
    expect(greet.pass_fail.n).toBe(all.passN);
    expect(greet.pass_fail.exact_agreement).toBeCloseTo(all.exact, 3);
    expect(greet.pass_fail.kappa.value, 'n ≥ 30: given').toBeCloseTo(all.kappa, 3);
    expect(greet.points.weighted_kappa.value).toBeCloseTo(all.weighted, 3);
    expect(greet.points.mean_absolute_difference).toBeCloseTo(all.mad, 2);
    // The two graders agree with each other by this much (48 calls, each scored by both).
    expect(greet.human_agreement).toMatchObject({ units: 48, raters: 2, pairable_ratings: 96 });
    expect(greet.human_agreement.ordinal.value).toBeCloseTo(
      naiveAlpha([made.map((r) => r.m), made.map((r) => r.a)], 'ordinal'),
      3,
    );
    expect(greet.weeks.map((w: any) => [w.week, w.n])).toEqual([
      ['2026-10-12', 24],
      ['2026-10-19', 24],
    ]);
    for (const w of greet.weeks) {
      const mine = expected(made.filter((r) => r.week === w.week));
      expect(w.points.mean_absolute_difference).toBeCloseTo(mine.mad, 2);
      expect(w.pass_fail.kappa, 'a week of 24 pairs is too few').toEqual({
        value: null,
        reason: expect.stringContaining('fewer than 30 pairs (n = '),
      });
      expect(w.points.weighted_kappa.value).toBeNull();
    }
  });

  it('per week: pass/fail pooled over the criteria, and each criterion', async () => {
    const body = await json(await as('acme_admin', `${endpoint}?${RANGE}&group_by=week`));
    const mine = (criteria: any[]) =>
      criteria.filter((c) => c.criterion_id === GREET.id || c.criterion_id === VERIFY.id);
    const weeks = body.weeks.filter((w: any) => mine(w.criteria).length > 0);
    expect(weeks.map((w: any) => w.week)).toEqual(['2026-10-12', '2026-10-19']);
    const first = weeks[0];
    const greet = first.criteria.find((c: any) => c.criterion_id === GREET.id);
    const verify = first.criteria.find((c: any) => c.criterion_id === VERIFY.id);
    expect(greet.n).toBe(24);
    expect(verify.n, 'calls 0 and 2 fall in the first week').toBe(2);
    const own = mine(first.criteria).reduce((s: number, c: any) => s + c.pass_fail.n, 0);
    expect(first.pass_fail.n, 'pooled over criteria').toBeGreaterThanOrEqual(own);
    expect(body.criteria.find((c: any) => c.criterion_id === GREET.id).weeks, 'the series is in weeks[]').toEqual([]);
  });

  it('filters by criterion, and leaves out open sessions', async () => {
    const body = await json(await as('acme_manager', `${endpoint}?${RANGE}&criterion_id=${VERIFY.id}`));
    expect(body.criteria.map((c: any) => [c.criterion_id, c.n])).toEqual([[VERIFY.id, 4]]);
    // The AI scored 0, 1, 2, 3 on those calls; both graders 9 (all pass, the AI all fail).
    expect(body.criteria[0].points).toMatchObject({
      mean_absolute_difference: 7.5,
      mean_difference: -7.5,
      exact_agreement: 0,
    });
    expect(body.criteria[0].pass_fail.kappa.reason).toMatch(/fewer than 30/);
  });

  it('validates the range, is for managers, and shows a tenant only its own pairs', async () => {
    const half = await expectProblem(await as('acme_manager', `${endpoint}?from_date=2026-10-12`), 422);
    expect(half.errors?.[0]?.field).toBe('to_date');
    const group = await expectProblem(await as('acme_manager', `${endpoint}?group_by=agent`), 422);
    expect(group.errors?.[0]?.field).toBe('group_by');
    await expectProblem(await as('acme_agent', endpoint), 403);
    const globex = await json(await as('globex_manager', `${endpoint}?${RANGE}&criterion_id=${GREET.id}`));
    expect(globex.criteria).toEqual([]);
    const defaults = await json(await as('acme_manager', endpoint));
    const span = (Date.parse(defaults.to_date) - Date.parse(defaults.from_date)) / 86_400_000 + 1;
    expect(span, 'twelve weeks by default').toBe(84);
  });
});

describe('ai-agreement: reviews are a source of pairs', () => {
  it('a reviewed (or confirmed) criterion pairs the model’s score with the reviewer’s, in the week of the scoring', async () => {
    const t = await reportTenant({});
    const callId = await upload(t, t.agents.utc, '2026-10-14T12:00:00Z', TRANSCRIPTS.good);
    await scoreCalls(t, [callId]);
    const before = await json(await t.send(`/api/calls/${callId}/review`));
    const [first, second] = before.criteria as { criterion_id: string; max_points: number }[];
    const saved = await t.send(`/api/calls/${callId}/review`, {
      method: 'PUT',
      body: {
        criteria: [
          { criterion_id: first!.criterion_id, score: 0, passed: false, comment: 'Missed it' },
          { criterion_id: second!.criterion_id, confirm: true },
        ],
      },
    });
    expect(saved.status, await saved.clone().text()).toBe(200);
    // The period and week are the AI's scoring's (today), as for calibration.
    const res = await t.send('/api/analytics/ai-agreement');
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await json(res);
    const reviewed = body.criteria.filter((c: { sources: { source: string }[] }) =>
      c.sources.some((s) => s.source === 'review'),
    );
    expect(reviewed.map((c: { criterion_id: string }) => c.criterion_id).sort()).toEqual(
      [first!.criterion_id, second!.criterion_id].sort(),
    );
    for (const c of reviewed) {
      expect(c.n).toBe(1);
      expect(c.pass_fail.kappa.value, 'one pair is far too few').toBeNull();
      expect(c.weeks, 'one week: the scoring’s').toHaveLength(1);
    }
  });

  it('dates a pair by the day of the scoring in the agent’s time zone', async () => {
    const t = await reportTenant({});
    const callId = await upload(t, t.agents.ny1, '2026-10-18T20:00:00Z', TRANSCRIPTS.good);
    await scoreCalls(t, [callId]);
    // Monday 02:00 UTC is still Sunday evening in New York: the week before, by the agent's clock.
    await asTenant(t.id, 'system:pipeline', 'system', [
      {
        query: `update criterion_results set scored_at = '2026-10-19T02:00:00Z' where call_id = $1`,
        params: [callId],
      },
    ]);
    const before = await json(await t.send(`/api/calls/${callId}/review`));
    const [first] = before.criteria as { criterion_id: string }[];
    const saved = await t.send(`/api/calls/${callId}/review`, {
      method: 'PUT',
      body: { criteria: [{ criterion_id: first!.criterion_id, confirm: true }] },
    });
    expect(saved.status, await saved.clone().text()).toBe(200);
    const sunday = await json(await t.send('/api/analytics/ai-agreement?from_date=2026-10-18&to_date=2026-10-18'));
    const pair = sunday.criteria.find((c: { criterion_id: string }) => c.criterion_id === first!.criterion_id);
    expect(pair, 'counted on the Sunday').toMatchObject({ n: 1 });
    expect(pair.weeks.map((w: { week: string }) => w.week)).toEqual(['2026-10-12']);
    const monday = await json(await t.send('/api/analytics/ai-agreement?from_date=2026-10-19&to_date=2026-10-19'));
    expect(monday.criteria.filter((c: { criterion_id: string }) => c.criterion_id === first!.criterion_id)).toEqual([]);
  });
});

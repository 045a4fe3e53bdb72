/**
 * Calibration sessions through the public surface: managers name scored calls and graders, the
 * graders score blind (to the AI and to each other, enforced by the database's policies, which
 * these tests also try to get around), the session closes once, and the results show every
 * grader beside the median consensus and the AI. The figures below are worked out by hand from
 * the scores given here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { naiveAlpha } from './agreement-naive';
import {
  A,
  AGENT,
  AI_MARKER,
  asGrader,
  createSession,
  evaluate,
  G3,
  GLOBEX_MANAGER,
  GREET,
  INACTIVE,
  M,
  newCall,
  put,
  putOk,
  run,
  score,
  scoredCall,
  sessions,
  setUpGraders,
  SYSTEM,
  VERIFY,
} from './calibration-fixtures';
import {
  as,
  asTenant,
  callForm,
  deliver,
  eventually,
  expectProblem,
  json,
  runtimeSql,
  uploadCall,
  wavBytes,
} from './helpers';

let call1: { id: string; evaluationId: string };
let call2: { id: string; evaluationId: string };

beforeAll(async () => {
  await setUpGraders();
  call1 = await scoredCall({ greet: [5, true], verify: [9, true] });
  call2 = await scoredCall({ greet: [2, false], verify: [4, false] });
});

describe('creating a session', () => {
  it('names scored calls and managers; shows the criteria as scored, and no AI result', async () => {
    const s = await createSession([call1.id, call2.id], [M, A, G3]);
    expect(s).toMatchObject({
      status: 'open',
      call_count: 2,
      grader_count: 3,
      scores_given: 0,
      created_by: M,
      closed_at: null,
    });
    expect(s.calls.map((c: any) => [c.call_id, c.evaluation_id])).toEqual([
      [call1.id, call1.evaluationId],
      [call2.id, call2.evaluationId],
    ]);
    expect(s.calls[0].criteria).toEqual([
      {
        criterion_id: GREET.id,
        name: 'Greeting',
        description: 'Greeting as scored',
        category: 'soft',
        max_points: 5,
        auto_fail: false,
      },
      {
        criterion_id: VERIFY.id,
        name: 'Verification',
        description: 'Verification as scored',
        category: 'compliance',
        max_points: 10,
        auto_fail: false,
      },
    ]);
    expect(s.graders.map((g: any) => [g.grader_id, g.scored, g.expected]).sort()).toEqual(
      [
        [M, 0, 4],
        [A, 0, 4],
        [G3, 0, 4],
      ].sort(),
    );
    const text = JSON.stringify(s);
    expect(text, 'no trace of the AI evaluation').not.toContain(AI_MARKER);
    expect(text).not.toMatch(/"ai"|"results"|"overall_score"/);
    const listed = await json(await as('acme_admin', `${sessions}?status=open&limit=100`));
    expect(listed.data.map((x: any) => x.id)).toContain(s.id);
    const closed = await json(await as('acme_admin', `${sessions}?status=closed&limit=100`));
    expect(closed.data.map((x: any) => x.id)).not.toContain(s.id);
  });

  it('refuses, per field, calls that are not scored calls of the tenant and graders who may not grade; writes nothing', async () => {
    const queued = await newCall('acme', 'queued');
    const foreign = await newCall('globex', 'completed', null);
    await evaluate(foreign, { greet: [1, false], verify: [1, false] }, { tenant: 'globex' });
    const name = `Refused ${run}`;
    const res = await as('acme_manager', sessions, {
      method: 'POST',
      body: {
        name,
        call_ids: [crypto.randomUUID(), queued, foreign, call1.id],
        grader_ids: [AGENT, crypto.randomUUID(), GLOBEX_MANAGER, INACTIVE, M],
      },
    });
    const body = await expectProblem(res, 422);
    expect(body.errors).toEqual([
      { field: 'call_ids.0', message: 'is not a scored call of this tenant' },
      { field: 'call_ids.1', message: 'is not a scored call of this tenant' },
      { field: 'call_ids.2', message: 'is not a scored call of this tenant' },
      { field: 'grader_ids.0', message: expect.stringContaining('is not a manager or tenant admin (role agent)') },
      { field: 'grader_ids.1', message: 'is not a user of this tenant' },
      { field: 'grader_ids.2', message: 'is not a user of this tenant' },
      { field: 'grader_ids.3', message: 'is not active (status inactive)' },
    ]);
    const [rows] = await asTenant('acme', M, 'manager', [
      { query: 'select count(*)::int as n from calibration_sessions where name = $1', params: [name] },
    ]);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('refuses a malformed body before anything runs', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', call_ids: [call1.id, call1.id], grader_ids: [M, A] }, 'call_ids.1'],
      [{ name: 'x', call_ids: [call1.id], grader_ids: [M] }, 'grader_ids'],
      [{ name: 'x', call_ids: [], grader_ids: [M, A] }, 'call_ids'],
      [{ name: 'x', call_ids: [call1.id], grader_ids: [M, 'not-a-uuid'] }, 'grader_ids.1'],
      [{ name: ' ', call_ids: [call1.id], grader_ids: [M, A] }, 'name'],
      [{ name: 'x', call_ids: [call1.id], grader_ids: [M, A], extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const problem = await expectProblem(await as('acme_manager', sessions, { method: 'POST', body }), 422);
      expect(
        problem.errors?.map((e) => e.field),
        JSON.stringify(body),
      ).toContain(field);
    }
  });

  it('calibrates the evaluation current when the session was made, whatever happens to the call later', async () => {
    const c = await scoredCall({ greet: [1, false], verify: [1, false] });
    const retiredEarlier = c.evaluationId;
    const current = await evaluate(c.id, { greet: [4, true], verify: [7, true] });
    const s = await createSession([c.id], [M, A]);
    expect(s.calls[0].evaluation_id, 'not the retired one').toBe(current);
    expect(current).not.toBe(retiredEarlier);
    await evaluate(c.id, { greet: [0, false], verify: [0, false] }); // a re-analysis after the session began
    await putOk('acme_manager', s.id, c.id, [score(GREET, 3, true)]);
    await putOk('acme_admin', s.id, c.id, [score(GREET, 4, true)]);
    expect((await as('acme_manager', `${sessions}/${s.id}/close`, { method: 'POST' })).status).toBe(200);
    const results = await json(await as('acme_manager', `${sessions}/${s.id}/results`));
    expect(results.calls[0].evaluation_id).toBe(current);
    expect(results.calls[0].criteria[0].ai, 'the AI as it was when the session was made').toEqual({
      score: 4,
      passed: true,
    });
  });
});

describe('scoring', () => {
  let s: any;
  beforeAll(async () => {
    s = await createSession([call1.id, call2.id], [M, G3]);
  });

  it('saves a grader’s scores per criterion; the same request twice changes nothing; an edit replaces', async () => {
    const first = await putOk('acme_manager', s.id, call1.id, [score(GREET, 4, true, 'warm'), score(VERIFY, 8, true)]);
    expect(first.scores.map((x: any) => [x.criterion_id, x.score, x.passed, x.comment])).toEqual(
      [
        [GREET.id, 4, true, 'warm'],
        [VERIFY.id, 8, true, null],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const trail = async () => {
      const [rows] = await asTenant('acme', M, 'manager', [
        {
          query: `select count(*)::int as n from audit_logs where entity_type = 'calibration_scores'
                   and entity_id in (select id::text from calibration_scores where session_id = $1)`,
          params: [s.id],
        },
      ]);
      return rows![0]!.n as number;
    };
    const before = await trail();
    expect(before, 'both inserts are audited').toBe(2);
    const again = await putOk('acme_manager', s.id, call1.id, [score(GREET, 4, true, 'warm'), score(VERIFY, 8, true)]);
    expect(again.scores).toEqual(first.scores);
    expect(await trail(), 'an unchanged score is not rewritten').toBe(before);
    const edited = await putOk('acme_manager', s.id, call1.id, [score(GREET, 3, false)]);
    expect(edited.scores.find((x: any) => x.criterion_id === GREET.id)).toMatchObject({
      score: 3,
      passed: false,
      comment: null,
    });
    expect(
      edited.scores.find((x: any) => x.criterion_id === VERIFY.id),
      'left out: kept',
    ).toMatchObject({ score: 8 });
    expect(await trail()).toBe(before + 1);
    const detail = await json(await as('acme_manager', `${sessions}/${s.id}`));
    expect(detail.graders.find((g: any) => g.grader_id === M).scored).toBe(2);
    expect(detail.scores_given).toBe(2);
  });

  it('judges scores against the criteria version the call was scored with, naming the field', async () => {
    const over = await expectProblem(
      await put('acme_manager', s.id, call2.id, [score(VERIFY, 2, false), score(GREET, 6, true)]),
      422,
    );
    expect(over.errors).toEqual([{ field: 'scores.1.score', message: expect.stringContaining('must be at most 5') }]);
    const unknown = await expectProblem(
      await put('acme_manager', s.id, call2.id, [{ criterion_id: 'not-in-the-evaluation', score: 1, passed: true }]),
      422,
    );
    expect(unknown.errors).toEqual([
      { field: 'scores.0.criterion_id', message: expect.stringContaining('is not a criterion of the evaluation') },
    ]);
    const twice = await expectProblem(
      await put('acme_manager', s.id, call2.id, [score(GREET, 1, true), score(GREET, 2, true)]),
      422,
    );
    expect(twice.errors?.[0]?.field).toBe('body.scores.1.criterion_id'.replace('body.', ''));
    const negative = await expectProblem(await put('acme_manager', s.id, call2.id, [score(GREET, -1, true)]), 422);
    expect(negative.errors?.[0]?.field).toBe('scores.0.score');
    const [rows] = await asTenant('acme', M, 'manager', [
      {
        query: 'select count(*)::int as n from calibration_scores where session_id = $1 and call_id = $2',
        params: [s.id, call2.id],
      },
    ]);
    expect(rows, 'no partial write').toEqual([{ n: 0 }]);
  });

  it('is for the session’s graders, on the session’s calls only', async () => {
    const other = await scoredCall({ greet: [3, true], verify: [5, true] });
    await expectProblem(await put('acme_manager', s.id, other.id, [score(GREET, 1, true)]), 404);
    await expectProblem(await put('acme_manager', crypto.randomUUID(), call1.id, [score(GREET, 1, true)]), 404);
    const notGrader = await expectProblem(await put('acme_admin', s.id, call1.id, [score(GREET, 1, true)]), 403);
    expect(notGrader.detail).toMatch(/graders/);
    await expectProblem(await put('acme_agent', s.id, call1.id, [score(GREET, 1, true)]), 403);
    await expectProblem(await put('globex_manager', s.id, call1.id, [score(GREET, 1, true)]), 404);
  });
});

describe('the tables', () => {
  it('have row-level security enabled and forced, and an audit trigger', async () => {
    const rows = await runtimeSql().query(
      `select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
              exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = c.relname || '_audit') as audited
         from pg_class c where c.relkind = 'r' and c.relname like 'calibration\\_%' order by c.relname`,
    );
    expect(rows).toEqual(
      ['calibration_scores', 'calibration_session_calls', 'calibration_session_graders', 'calibration_sessions'].map(
        (table) => ({ table, enabled: true, forced: true, audited: true }),
      ),
    );
  });
});

describe('the blind rule', () => {
  let s: any;
  beforeAll(async () => {
    s = await createSession([call1.id, call2.id], [M, A, G3]);
    await putOk('acme_manager', s.id, call1.id, [score(GREET, 4, true, 'from M'), score(VERIFY, 8, true)]);
    await putOk('acme_admin', s.id, call1.id, [score(GREET, 2, false, 'from A'), score(VERIFY, 6, false)]);
  });

  it('shows each grader its own scores only, through every endpoint; results wait for the close', async () => {
    const mine = await json(await as('acme_manager', `${sessions}/${s.id}`));
    const theirs = await json(await as('acme_admin', `${sessions}/${s.id}`));
    expect(mine.calls[0].my_scores.map((x: any) => x.comment)).toContain('from M');
    expect(JSON.stringify(mine)).not.toContain('from A');
    expect(JSON.stringify(theirs)).not.toContain('from M');
    expect(theirs.calls[0].my_scores.map((x: any) => x.score).sort()).toEqual([2, 6]);
    const third = await json(await asGrader('g3', `${sessions}/${s.id}`));
    expect(third.calls.every((c: any) => c.my_scores.length === 0)).toBe(true);
    expect(third.graders.find((g: any) => g.grader_id === M).scored, 'progress shows, values do not').toBe(2);
    for (const who of ['acme_manager', 'acme_admin', 'g3'] as const) {
      const body = await expectProblem(await asGrader(who, `${sessions}/${s.id}/results`), 409);
      expect(body.detail).toMatch(/blind/);
    }
    const put = await putOk('g3', s.id, call1.id, [score(GREET, 3, true)]);
    expect(
      put.scores.map((x: any) => x.score),
      'the answer to a PUT holds the caller’s scores only',
    ).toEqual([3]);
    for (const body of [mine, theirs, third]) expect(JSON.stringify(body)).not.toContain(AI_MARKER);
  });

  it('holds in the database: another grader’s rows cannot be read, changed or written', async () => {
    const rowsOf = async (user: string, role: string) =>
      (
        await asTenant('acme', user, role, [
          {
            query: 'select grader_id, score from calibration_scores where session_id = $1 order by score',
            params: [s.id],
          },
        ])
      )[0]!;
    expect(new Set((await rowsOf(M, 'manager')).map((r) => r.grader_id))).toEqual(new Set([M]));
    expect(new Set((await rowsOf(A, 'tenant_admin')).map((r) => r.grader_id))).toEqual(new Set([A]));
    expect(await rowsOf(SYSTEM[0], 'system'), 'not even the platform').toEqual([]);
    expect(await rowsOf(AGENT, 'agent')).toEqual([]);
    const [changed] = await asTenant('acme', M, 'manager', [
      {
        query: 'update calibration_scores set score = 0 where session_id = $1 and grader_id = $2 returning id',
        params: [s.id, A],
      },
    ]);
    expect(changed, "A's rows are invisible to M's update").toEqual([]);
    await expect(
      asTenant('acme', M, 'manager', [
        {
          query: `insert into calibration_scores (tenant_id, session_id, call_id, grader_id, criterion_id, score, max_points, passed)
                  values ('acme', $1, $2, $3, $4, 0, 5, false)`,
          params: [s.id, call2.id, A, GREET.id],
        },
      ]),
      'M cannot score in A’s name',
    ).rejects.toMatchObject({ code: '42501' });
    const [aggregate] = await asTenant('acme', M, 'manager', [
      {
        query: 'select count(*)::int as n, avg(score)::float8 as mean from calibration_scores where session_id = $1',
        params: [s.id],
      },
    ]);
    expect(aggregate, 'aggregates see only the own rows too').toEqual([{ n: 2, mean: 6 }]);
    const [agentSessions] = await asTenant('acme', AGENT, 'agent', [
      { query: 'select count(*)::int as n from calibration_sessions where id = $1', params: [s.id] },
    ]);
    expect(agentSessions).toEqual([{ n: 0 }]);
  });

  it("keeps the audit trail as blind as the scores: a tenant admin grader sees only its own scores' trail", async () => {
    const trail = async () =>
      (await json(await as('acme_admin', '/api/admin/audit-logs?entity_type=calibration_scores&limit=100')))
        .data as any[];
    const before = (await trail()).filter((r) => r.changes?.session_id === s.id);
    expect(before.length).toBeGreaterThan(0);
    expect(new Set(before.map((r) => r.actor_id)), "M's and G3's scores leave no readable trail yet").toEqual(
      new Set([A]),
    );
    expect(JSON.stringify(before)).not.toContain('from M');
  });
});

describe('closing and results', () => {
  let s: any;
  beforeAll(async () => {
    s = await createSession([call1.id, call2.id], [M, A, G3]);
    await putOk('acme_manager', s.id, call1.id, [score(GREET, 4, true), score(VERIFY, 8, true)]);
    await putOk('acme_admin', s.id, call1.id, [score(GREET, 2, false), score(VERIFY, 6, false)]);
    await putOk('g3', s.id, call1.id, [score(GREET, 3, true)]);
    await putOk('acme_manager', s.id, call2.id, [score(GREET, 1, false), score(VERIFY, 10, true)]);
    await putOk('acme_admin', s.id, call2.id, [score(GREET, 1, false), score(VERIFY, 9, true)]);
    await putOk('g3', s.id, call2.id, [score(GREET, 2, true), score(VERIFY, 10, true)]);
  });

  it('is for the creator or a tenant admin, once; closed is final', async () => {
    const refused = await expectProblem(await asGrader('g3', `${sessions}/${s.id}/close`, { method: 'POST' }), 403);
    expect(refused.detail).toMatch(/creator/);
    await expectProblem(await as('acme_agent', `${sessions}/${s.id}/close`, { method: 'POST' }), 403);
    const closed = await as('acme_manager', `${sessions}/${s.id}/close`, { method: 'POST' });
    expect(closed.status).toBe(200);
    const body = await json(closed);
    expect(body).toMatchObject({ status: 'closed', closed_by: M, scores_given: 11 });
    expect(body.closed_at).toBeTruthy();
    await expectProblem(await as('acme_manager', `${sessions}/${s.id}/close`, { method: 'POST' }), 409);
    const late = await expectProblem(await put('acme_manager', s.id, call1.id, [score(GREET, 5, true)]), 409);
    expect(late.detail).toMatch(/closed/);
    // Around the API: the database refuses the same.
    const [reopened, edited] = await asTenant('acme', M, 'manager', [
      {
        query: `update calibration_sessions set status = 'open', closed_at = null, closed_by = null where id = $1 returning id`,
        params: [s.id],
      },
      { query: 'update calibration_scores set score = 0 where session_id = $1 returning id', params: [s.id] },
    ]);
    expect(reopened).toEqual([]);
    expect(edited).toEqual([]);
    await expect(
      asTenant('acme', M, 'manager', [
        {
          query: `insert into calibration_scores (tenant_id, session_id, call_id, grader_id, criterion_id, score, max_points, passed)
                  values ('acme', $1, $2, $3, 'late', 0, 5, false)`,
          params: [s.id, call2.id, M],
        },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('shows per call and criterion every grader, the median consensus, the spread and the AI', async () => {
    const r = await json(await as('acme_manager', `${sessions}/${s.id}/results`));
    expect(r.session.status).toBe('closed');
    const item = (callId: string, criterion: { id: string }) =>
      r.calls.find((c: any) => c.call_id === callId).criteria.find((x: any) => x.criterion_id === criterion.id);
    const g1 = item(call1.id, GREET);
    // 4, 2, 3: median 3, range 2, population SD √(2/3); two of three passed it.
    expect(g1).toMatchObject({
      name: 'Greeting',
      max_points: 5,
      ai: { score: 5, passed: true },
      consensus: { score: 3, passed: true },
      spread: { range: 2, sd: 0.82 },
    });
    expect(Object.fromEntries(g1.graders.map((g: any) => [g.grader_id, g.deviation]))).toEqual({
      [M]: 1,
      [A]: -1,
      [G3]: 0,
    });
    // 8 and 6 (the third grader left it): median 7, one pass and one fail: no consensus verdict.
    expect(item(call1.id, VERIFY)).toMatchObject({
      consensus: { score: 7, passed: null },
      spread: { range: 2, sd: 1 },
    });
    expect(item(call2.id, GREET)).toMatchObject({
      ai: { score: 2, passed: false },
      consensus: { score: 1, passed: false },
    });
    expect(item(call2.id, VERIFY)).toMatchObject({
      ai: { score: 4, passed: false },
      consensus: { score: 10, passed: true },
    });

    const greet = r.criteria.find((c: any) => c.criterion_id === GREET.id);
    expect(greet).toMatchObject({ calls: 2, calls_scored: 2, mean_range: 1.5 });
    expect(Object.fromEntries(greet.graders.map((g: any) => [g.grader_id, g.mean_deviation]))).toEqual({
      [M]: 0.5, // (4 − 3) and (1 − 1)
      [A]: -0.5, // (2 − 3) and (1 − 1)
      [G3]: 0.5, // (3 − 3) and (2 − 1)
    });
    // Alpha between graders equals the textbook computation over the raw scores (graders × calls).
    const table = [
      [4, 1],
      [2, 1],
      [3, 2],
    ];
    expect(greet.alpha).toMatchObject({ units: 2, raters: 3, pairable_ratings: 6 });
    for (const metric of ['nominal', 'ordinal', 'interval'] as const)
      expect(greet.alpha[metric].value, metric).toBeCloseTo(naiveAlpha(table, metric), 3);
    const verify = r.criteria.find((c: any) => c.criterion_id === VERIFY.id);
    expect(verify.alpha.ordinal.value).toBeCloseTo(
      naiveAlpha(
        [
          [8, 10],
          [6, 9],
          [null, 10],
        ],
        'ordinal',
      ),
      3,
    );
    // The AI against the consensus: two calls, so the kappas are withheld; the raw figures stand.
    expect(greet.ai.points).toMatchObject({ n: 2, mean_absolute_difference: 1.5, mean_difference: 1.5 });
    expect(greet.ai.points.weighted_kappa).toEqual({ value: null, reason: expect.stringContaining('fewer than 30') });
    expect(greet.ai.pass_fail).toMatchObject({ n: 2, exact_agreement: 1 });
    expect(verify.ai.pass_fail, 'the tied verdict is left out').toMatchObject({ n: 1, exact_agreement: 0 });
  });

  it("opens the audit trail of everyone's scores once closed", async () => {
    const trail = (await json(await as('acme_admin', '/api/admin/audit-logs?entity_type=calibration_scores&limit=100')))
      .data as any[];
    const actors = new Set(trail.filter((t) => t.changes?.session_id === s.id).map((t) => t.actor_id));
    expect(actors).toEqual(new Set([M, A, G3]));
  });

  it('refuses to close a session nobody scored, and lets a tenant admin close a manager’s session', async () => {
    const empty = await createSession([call1.id], [M, A]);
    const body = await expectProblem(
      await as('acme_manager', `${sessions}/${empty.id}/close`, { method: 'POST' }),
      409,
    );
    expect(body.detail).toMatch(/no grader has scored/);
    await putOk('acme_manager', empty.id, call1.id, [score(GREET, 1, false)]);
    expect((await as('acme_admin', `${sessions}/${empty.id}/close`, { method: 'POST' })).status).toBe(200);
  });
});

describe('roles and tenants', () => {
  let s: any;
  beforeAll(async () => {
    s = await createSession([call1.id], [M, A]);
    await putOk('acme_manager', s.id, call1.id, [score(GREET, 1, false)]);
  });

  it('refuses agents on every endpoint', async () => {
    for (const [method, path, body] of [
      ['GET', sessions],
      ['POST', sessions, { name: 'x', call_ids: [call1.id], grader_ids: [M, A] }],
      ['GET', `${sessions}/${s.id}`],
      ['PUT', `${sessions}/${s.id}/calls/${call1.id}/scores`, { scores: [score(GREET, 1, true)] }],
      ['POST', `${sessions}/${s.id}/close`],
      ['GET', `${sessions}/${s.id}/results`],
    ] as const) {
      const res = await as('acme_agent', path, { method, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it("hides one tenant's sessions from another (404), and from its lists", async () => {
    for (const [method, path, body] of [
      ['GET', `${sessions}/${s.id}`],
      ['PUT', `${sessions}/${s.id}/calls/${call1.id}/scores`, { scores: [score(GREET, 1, true)] }],
      ['POST', `${sessions}/${s.id}/close`],
      ['GET', `${sessions}/${s.id}/results`],
    ] as const) {
      const res = await as('globex_manager', path, { method, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const listed = await json(await as('globex_admin', `${sessions}?limit=100`));
    expect(listed.data.map((x: any) => x.id)).not.toContain(s.id);
    const asSuper = await as('super_admin', `${sessions}/${s.id}`, { headers: { 'x-tenant-id': 'acme' } });
    expect(asSuper.status, 'a super admin naming the tenant reads it').toBe(200);
    expect((await json(asSuper)).calls[0].my_scores).toEqual([]);
  });
});

describe('a call scored by the pipeline', () => {
  it(
    'is calibrated against the criteria snapshot the pipeline recorded, beside its AI results',
    { timeout: 60_000 },
    async () => {
      const uploaded = await uploadCall(
        'acme_agent',
        callForm({ metadata: { direction: 'inbound' }, audio: wavBytes() }),
      );
      expect(uploaded.status).toBe(202);
      const { call_id } = await json(uploaded);
      // The stand-in cannot fetch audio from inside the test runner: the call fails, then gets a transcript.
      await eventually(async () => {
        const [rows] = await asTenant('acme', ...SYSTEM, [
          { query: 'select status from calls where id = $1', params: [call_id] },
        ]);
        return rows?.[0]?.status === 'failed';
      });
      const text = 'Good morning, thanks for calling, may I have your account number to verify you?';
      await asTenant('acme', ...SYSTEM, [
        {
          query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles)
                values ($1, 'acme', $2, $3, $4::jsonb, '{"A":"agent"}'::jsonb)`,
          params: [
            call_id,
            `cal-${call_id}`,
            text,
            JSON.stringify([{ speaker: 'A', role: 'agent', text, start_ms: 0, end_ms: 3000, confidence: 0.9 }]),
          ],
        },
      ]);
      const { result } = await deliver('qa-pipeline', [
        { step: 'evaluate', tenant_id: 'acme', call_id, run_key: `reanalysis:${crypto.randomUUID()}` },
      ]);
      expect(result.retryMessages).toEqual([]);
      const [ai] = await asTenant('acme', ...SYSTEM, [
        {
          query:
            'select criterion_id, score, max_points, passed from criterion_results where call_id = $1 and current order by criterion_id',
          params: [call_id],
        },
      ]);
      expect(ai!.length).toBeGreaterThan(0);

      const s = await createSession([call_id], [M, A]);
      const criteria = s.calls[0].criteria as { criterion_id: string; max_points: number }[];
      expect(criteria.map((c) => [c.criterion_id, c.max_points]).sort()).toEqual(
        ai!.map((r) => [r.criterion_id, r.max_points]).sort(),
      );
      const first = criteria[0]!;
      await expectProblem(
        await put('acme_manager', s.id, call_id, [score({ id: first.criterion_id }, first.max_points + 1, true)]),
        422,
      );
      await putOk('acme_manager', s.id, call_id, [score({ id: first.criterion_id }, first.max_points, true)]);
      await putOk('acme_admin', s.id, call_id, [score({ id: first.criterion_id }, 0, false)]);
      expect((await as('acme_manager', `${sessions}/${s.id}/close`, { method: 'POST' })).status).toBe(200);
      const results = await json(await as('acme_manager', `${sessions}/${s.id}/results`));
      const shown = results.calls[0].criteria.map((c: any) => [c.criterion_id, c.ai.score, c.ai.passed]).sort();
      expect(shown).toEqual(ai!.map((r) => [r.criterion_id, r.score, r.passed]).sort());
      const scoredOne = results.calls[0].criteria.find((c: any) => c.criterion_id === first.criterion_id);
      expect(scoredOne.consensus.score).toBe(first.max_points / 2);
      expect(scoredOne.consensus.passed, 'one pass, one fail: a tie').toBeNull();
    },
  );
});

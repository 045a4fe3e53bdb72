/**
 * Human review through the public surface: calls are scored by the queue handler's evaluate step
 * under each grading mode, managers review them over HTTP, and what every reader sees (the
 * manager, the call's agent, the database as the agent, the live socket) is checked before and
 * after the review. A tenant of its own, so no other file's calls enter its figures.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import billingVerified from '../../dev/samples/billing-verified.json';
import rudeAgent from '../../dev/samples/rude-agent.json';
import { as, asTenant, call, eventually, expectProblem, json } from './helpers';
import { live, openSocket, type Live } from './live-socket';
import { evaluate, scoredCall, system, transcribedCall, trustTenant, uniq, type Tenant } from './trust-tenant';

/** The call's rows as the agent's own database context sees them: what no endpoint can add to. */
async function asAgentInDatabase(t: Tenant, callId: string) {
  const [evaluations, results, insights, reviews, items] = await asTenant(t.id, t.agent.id, 'agent', [
    { query: 'select id, overall_score from evaluations where call_id = $1', params: [callId] },
    { query: 'select criterion_id, score from criterion_results where call_id = $1', params: [callId] },
    { query: 'select id from insights where call_id = $1', params: [callId] },
    { query: 'select id from evaluation_reviews where call_id = $1', params: [callId] },
    { query: 'select id from evaluation_review_items where call_id = $1', params: [callId] },
  ]);
  return {
    evaluations: evaluations!.length,
    results: results!.length,
    insights: insights!.length,
    reviews: reviews!.length,
    items: items!.length,
  };
}

const review = (t: Tenant, callId: string, body: unknown, who: 'manager' | 'agent' | 'admin' = 'manager') =>
  (who === 'admin' ? t.admin : t[who].req)(`/api/calls/${callId}/review`, { method: 'PUT', body });

/** The overall score from per-criterion values, as the product defines it: a second implementation. */
function overall(criteria: { score: number; max_points: number; auto_failed: boolean }[]) {
  if (criteria.some((c) => c.auto_failed)) return 0;
  const earned = criteria.reduce((n, c) => n + Math.min(c.score, c.max_points), 0);
  const possible = criteria.reduce((n, c) => n + c.max_points, 0);
  return Math.round((100 * earned) / possible);
}

type ReviewJson = {
  status: string;
  model: { overall_score: number; auto_failed: boolean } | null;
  effective: { overall_score: number; auto_failed: boolean; source: string } | null;
  review: { items: { criterion_id: string; source: string }[]; comment: string | null } | null;
  criteria: {
    criterion_id: string;
    max_points: number;
    version: number;
    model: { score: number; passed: boolean; auto_fail_triggered: boolean } | null;
    human: { score: number; passed: boolean; auto_failed: boolean; confirmed: boolean; source: string } | null;
    effective: { score: number; passed: boolean; auto_failed: boolean } | null;
  }[];
};

async function reviewOf(t: Tenant, callId: string): Promise<ReviewJson> {
  const res = await t.manager.req(`/api/calls/${callId}/review`);
  expect(res.status).toBe(200);
  return json(res);
}

const openaiStats = async () =>
  (await (await fetch(`${env.OPENAI_BASE_URL!.replace(/\/v1$/, '')}/__stats`)).json()) as {
    features: Record<string, number>;
  };

/** The next `type` frame about `callId` (frames about other calls are passed over). */
async function frameFor(socket: Live, type: string, callId: string) {
  for (;;) {
    const frame = await socket.next(type, 15_000);
    if ((frame.data as { call_id?: string }).call_id === callId) return frame;
  }
}

async function connect(token: string): Promise<Live> {
  const res = await call('/api/command-center/tickets', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: {},
  });
  expect(res.status).toBe(201);
  const socket = live(await openSocket((await json(res)).url));
  await socket.next('snapshot');
  return socket;
}

let t: Tenant;
beforeAll(async () => {
  t = await trustTenant();
}, 60_000);

describe('grading modes on criteria sets', () => {
  it('are set on create (default ai_auto), changed by PUT without a new version, and bad values are 422 naming the field', async () => {
    const created = await t.manager.req('/api/evaluation-criteria/sets', {
      method: 'POST',
      body: { name: `Plain ${uniq()}`, criteria_ids: [t.criteria.greeting] },
    });
    const set = await json(created);
    expect(set).toMatchObject({ grading_mode: 'ai_auto', version: 1 });
    const changed = await t.manager.req(`/api/evaluation-criteria/sets/${set.id}`, {
      method: 'PUT',
      body: { grading_mode: 'ai_review' },
    });
    expect(changed.status).toBe(200);
    expect(await json(changed)).toMatchObject({ grading_mode: 'ai_review', version: 1 });
    const listed = await json(await t.agent.req('/api/evaluation-criteria/sets'));
    expect(listed.data.find((s: { id: string }) => s.id === set.id).grading_mode).toBe('ai_review');

    for (const [method, path, body] of [
      ['PUT', `/api/evaluation-criteria/sets/${set.id}`, { grading_mode: 'sometimes' }],
      [
        'POST',
        '/api/evaluation-criteria/sets',
        { name: `Bad ${uniq()}`, criteria_ids: [t.criteria.greeting], grading_mode: 'AI' },
      ],
    ] as const) {
      const p = await expectProblem(await t.manager.req(path, { method, body }), 422);
      expect(p.errors?.[0]).toEqual({ field: 'grading_mode', message: 'must be one of ai_auto, ai_review, manual' });
    }
    expect(
      (await json(await t.manager.req('/api/evaluation-criteria/sets'))).data.find(
        (s: { id: string }) => s.id === set.id,
      ),
    ).toMatchObject({ grading_mode: 'ai_review' });
    await expectProblem(
      await t.agent.req(`/api/evaluation-criteria/sets/${set.id}`, { method: 'PUT', body: { grading_mode: 'manual' } }),
      403,
    );
  });
});

describe('reviews of an ai_auto evaluation', () => {
  let callId: string;
  let before: ReviewJson;
  beforeAll(async () => {
    callId = await scoredCall(t, t.agent.id, 'ai_auto');
    before = await reviewOf(t, callId);
  }, 60_000);

  it('shows the model result and, before any review, the model score as effective', async () => {
    expect(before.status).toBe('not_required');
    expect(before.review).toBeNull();
    expect(before.model).not.toBeNull();
    expect(before.effective).toEqual({
      overall_score: before.model!.overall_score,
      auto_failed: before.model!.auto_failed,
      source: 'model',
    });
    expect(before.criteria.map((c) => c.criterion_id).sort()).toEqual(Object.values(t.criteria).sort());
    for (const c of before.criteria) {
      expect(c.human).toBeNull();
      expect(c.effective).toEqual({
        score: c.model!.score,
        passed: c.model!.passed,
        auto_failed: c.model!.auto_fail_triggered && c.criterion_id === t.criteria.identity,
      });
    }
    const detail = await json(await t.agent.req(`/api/calls/${callId}`));
    expect(detail.call_info.overall_score).toBe(before.model!.overall_score);
    expect(detail.qa_evaluation).toMatchObject({
      grading_mode: 'ai_auto',
      review_status: 'not_required',
      review: null,
    });
  });

  it('a partial review changes only the named criterion; the model result stays stored and shown beside it', async () => {
    const greeting = before.criteria.find((c) => c.criterion_id === t.criteria.greeting)!;
    const res = await review(t, callId, {
      criteria: [{ criterion_id: t.criteria.greeting, score: 2, comment: 'No name given' }],
      comment: 'Spot check',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const after = (await json(res)) as ReviewJson;
    expect(after.status).toBe('reviewed');
    const values = before.criteria.map((c) =>
      c.criterion_id === t.criteria.greeting
        ? { score: 2, max_points: 10, auto_failed: false }
        : { score: c.model!.score, max_points: c.max_points, auto_failed: c.effective!.auto_failed },
    );
    const expected = overall(values);
    expect(after.effective).toEqual({
      overall_score: expected,
      auto_failed: values.some((v) => v.auto_failed),
      source: 'review',
    });
    const g = after.criteria.find((c) => c.criterion_id === t.criteria.greeting)!;
    expect(g.model, "the model's verdict is untouched").toEqual(greeting.model);
    // Passed is derived at the tenant's passing percentage (70 %) when not given.
    expect(g.human).toMatchObject({ score: 2, passed: false, auto_failed: false, confirmed: false, source: 'review' });
    expect(g.effective).toEqual({ score: 2, passed: false, auto_failed: false });
    for (const c of after.criteria.filter((c) => c.criterion_id !== t.criteria.greeting)) {
      expect(c.human).toBeNull();
      expect(c.effective!.score).toBe(c.model!.score);
    }
    expect(after.model, "the model's overall score is kept").toEqual(before.model);
    expect(after.review!.comment).toBe('Spot check');

    // The database keeps the model's columns as scored.
    const [row] = await system(
      t,
      `select r.score, r.effective_score, e.overall_score from criterion_results r join evaluations e on e.id = r.evaluation_id
       where r.call_id = $1 and r.criterion_id = $2 and r.current`,
      [callId, t.criteria.greeting],
    );
    expect(row).toEqual({
      score: greeting.model!.score,
      effective_score: 2,
      overall_score: before.model!.overall_score,
    });

    // The call's score of record is the effective one, in the detail, the analysis and the list.
    const detail = await json(await t.agent.req(`/api/calls/${callId}`));
    expect(detail.call_info.overall_score).toBe(expected);
    expect(detail.qa_evaluation.overall_score).toBe(before.model!.overall_score);
    expect(detail.qa_evaluation.effective).toEqual(after.effective);
    expect(detail.qa_evaluation.review.items).toEqual([
      expect.objectContaining({ criterion_id: t.criteria.greeting, score: 2, source: 'review' }),
    ]);
    const analysis = await json(await t.agent.req(`/api/calls/${callId}/analysis`));
    expect(analysis.current).toMatchObject({ overall_score: before.model!.overall_score, effective: after.effective });
    const listed = async (qs: string) =>
      (await json(await t.manager.req(`/api/calls?limit=100&${qs}`))).data.map((c: { id: string }) => c.id);
    expect(await listed(`min_score=${expected}&max_score=${expected}`)).toContain(callId);
    if (expected !== before.model!.overall_score)
      expect(
        await listed(`min_score=${before.model!.overall_score}&max_score=${before.model!.overall_score}`),
      ).not.toContain(callId);
  });

  it('an update keeps what it does not name; confirm takes the model result; auto-fail forces 0', async () => {
    const identity = before.criteria.find((c) => c.criterion_id === t.criteria.identity)!;
    let r = (await json(
      await review(t, callId, { criteria: [{ criterion_id: t.criteria.closing, score: 5, passed: true }] }),
    )) as ReviewJson;
    expect(r.criteria.find((c) => c.criterion_id === t.criteria.greeting)!.human, 'kept').toMatchObject({ score: 2 });
    expect(r.review!.comment, 'the comment is kept when not given').toBe('Spot check');
    r = (await json(
      await review(t, callId, { criteria: [{ criterion_id: t.criteria.identity, score: 0, auto_fail: true }] }),
    )) as ReviewJson;
    expect(r.effective).toEqual({ overall_score: 0, auto_failed: true, source: 'review' });
    expect((await json(await t.agent.req(`/api/calls/${callId}`))).call_info.overall_score).toBe(0);

    r = (await json(
      await review(t, callId, {
        criteria: [
          { criterion_id: t.criteria.identity, confirm: true },
          { criterion_id: t.criteria.greeting, confirm: true, comment: 'Fine after listening again' },
        ],
      }),
    )) as ReviewJson;
    const i = r.criteria.find((c) => c.criterion_id === t.criteria.identity)!;
    expect(i.human).toMatchObject({ confirmed: true, score: identity.model!.score, passed: identity.model!.passed });
    const g = r.criteria.find((c) => c.criterion_id === t.criteria.greeting)!;
    expect(g.human).toMatchObject({ confirmed: true, score: g.model!.score });
    const expected = overall(
      r.criteria.map((c) => ({
        score: c.criterion_id === t.criteria.closing ? 5 : c.model!.score,
        max_points: c.max_points,
        auto_failed: c.criterion_id === t.criteria.identity && c.model!.auto_fail_triggered,
      })),
    );
    expect(r.effective!.overall_score).toBe(expected);

    // Every change left its trail.
    const audit = await json(await t.admin('/api/admin/audit-logs?entity_type=evaluation_review_items&limit=100'));
    expect(
      audit.data.filter((e: { action: string }) => e.action === 'evaluation_review_items.update').length,
    ).toBeGreaterThanOrEqual(2);
    expect(audit.data.every((e: { actor_id: string }) => e.actor_id === t.manager.id)).toBe(true);
  });

  it('refuses bad reviews with 422 naming the field, and writes nothing', async () => {
    const state = await reviewOf(t, callId);
    const cases: [unknown, string, RegExp][] = [
      [
        { criteria: [{ criterion_id: 'nope', score: 1 }] },
        'criteria.0.criterion_id',
        /not a criterion of this evaluation/,
      ],
      [
        {
          criteria: [
            { criterion_id: t.criteria.closing, score: 1 },
            { criterion_id: t.criteria.greeting, score: 11 },
          ],
        },
        'criteria.1.score',
        /at most 10, the max points of "Greeting" \(version 1\)/,
      ],
      [
        { criteria: [{ criterion_id: t.criteria.greeting, score: 3, auto_fail: true }] },
        'criteria.0.auto_fail',
        /not an auto-fail/,
      ],
      [
        { criteria: [{ criterion_id: t.criteria.greeting, confirm: true, score: 3 }] },
        'criteria.0.confirm',
        /give no score/,
      ],
      [{ criteria: [{ criterion_id: t.criteria.greeting }] }, 'criteria.0.score', /required unless confirm/],
      [{ criteria: [{ criterion_id: t.criteria.greeting, score: -1 }] }, 'criteria.0.score', /at least 0/],
      [
        {
          criteria: [
            { criterion_id: t.criteria.greeting, score: 1 },
            { criterion_id: t.criteria.greeting, score: 2 },
          ],
        },
        'criteria.1.criterion_id',
        /named earlier/,
      ],
      [{ criteria: [] }, 'criteria', /at least one/],
    ];
    for (const [body, field, message] of cases) {
      const p = await expectProblem(await review(t, callId, body), 422);
      const error = p.errors?.find((e) => e.field === field);
      expect(error, `${JSON.stringify(body)}: ${JSON.stringify(p.errors)}`).toBeDefined();
      expect(error!.message).toMatch(message);
    }
    expect(await reviewOf(t, callId), 'nothing written').toEqual(state);
  });

  it('is a manager’s: an agent gets 403, another tenant 404, a call not yet scored 409', async () => {
    await expectProblem(
      await review(t, callId, { criteria: [{ criterion_id: t.criteria.greeting, score: 1 }] }, 'agent'),
      403,
    );
    for (const who of ['globex_manager', 'globex_admin', 'globex_agent'] as const) {
      const get = await as(who, `/api/calls/${callId}/review`);
      expect(get.status, who).toBe(404);
      const put = await as(who, `/api/calls/${callId}/review`, {
        method: 'PUT',
        body: { criteria: [{ criterion_id: t.criteria.greeting, score: 1 }] },
      });
      expect(put.status, who).toBe(who === 'globex_agent' ? 403 : 404);
    }
    const waiting = await transcribedCall(t, t.agent.id, 'ai_auto', billingVerified.text);
    await expectProblem(await review(t, waiting, { criteria: [{ criterion_id: t.criteria.greeting, score: 1 }] }), 409);
    await expectProblem(await t.manager.req(`/api/calls/${waiting}/review`), 404);
  });

  it('a re-analysis makes a new evaluation, unreviewed again; the review stays with the one it reviewed', async () => {
    const reviewed = await reviewOf(t, callId);
    await evaluate(t, callId, `reanalysis:${crypto.randomUUID()}`);
    const fresh = await reviewOf(t, callId);
    expect(fresh.status).toBe('not_required');
    expect(fresh.review).toBeNull();
    const detail = await json(await t.manager.req(`/api/calls/${callId}`));
    expect(detail.call_info.overall_score).toBe(fresh.model!.overall_score);
    const analysis = await json(await t.manager.req(`/api/calls/${callId}/analysis`));
    expect(analysis.history[0]).toMatchObject({ review_status: 'reviewed', effective: reviewed.effective });
  });
});

describe('scores judged against the criteria version they were scored with', () => {
  it('accepts up to the old max points after the criterion changed, and refuses more', async () => {
    const name = `Empathy ${uniq()}`;
    const created = await json(
      await t.manager.req('/api/evaluation-criteria', {
        method: 'POST',
        body: { name, category: 'soft', max_points: 10 },
      }),
    );
    const set = await json(
      await t.manager.req('/api/evaluation-criteria/sets', {
        method: 'POST',
        body: { name: `Versioned ${uniq()}`, criteria_ids: [created.id] },
      }),
    );
    const callId = await transcribedCall(t, t.agent2.id, 'ai_auto', billingVerified.text);
    await system(t, 'update calls set criteria_set_id = $2 where id = $1', [callId, set.id]);
    await evaluate(t, callId, 'pipeline');
    const changed = await t.manager.req(`/api/evaluation-criteria/${created.id}`, {
      method: 'PUT',
      body: { max_points: 4 },
    });
    expect((await json(changed)).version).toBe(2);

    const p = await expectProblem(
      await review(t, callId, { criteria: [{ criterion_id: created.id, score: 11 }] }),
      422,
    );
    expect(p.errors).toEqual([
      {
        field: 'criteria.0.score',
        message: `must be at most 10, the max points of "${name}" (version 1) as the call was scored`,
      },
    ]);
    const ok = await review(t, callId, { criteria: [{ criterion_id: created.id, score: 8 }] });
    expect(ok.status).toBe(200);
    const r = (await json(ok)) as ReviewJson;
    expect(r.criteria[0]).toMatchObject({ version: 1, max_points: 10, effective: { score: 8, passed: true } });
    expect(r.effective!.overall_score).toBe(80);
  });
});

describe('ai_review: the agent sees nothing of the evaluation until a human has reviewed it', () => {
  it(
    'through every endpoint, the database and the live socket; then everything once reviewed',
    { timeout: 120_000 },
    async () => {
      const managerSocket = await connect(t.manager.token);
      const agentSocket = await connect(t.agent.token);
      // The rude call scores low: in ai_auto it would raise a low-score alert at once.
      const day = '2026-11-03';
      const callId = await scoredCall(t, t.agent.id, 'ai_review', rudeAgent.text, `${day}T12:00:00Z`);

      // Managers see the model's score at once, and the call waits in the queue.
      const scored = await frameFor(managerSocket, 'call.scored', callId);
      expect(scored.data).toMatchObject({ call_id: callId, awaiting_review: true, agent_id: t.agent.id });
      const modelScore = (scored.data as { overall_score: number }).overall_score;
      const managerView = await json(await t.manager.req(`/api/calls/${callId}`));
      expect(managerView.call_info).toMatchObject({ status: 'awaiting_review', overall_score: null });
      expect(managerView.qa_evaluation).toMatchObject({
        overall_score: modelScore,
        review_status: 'waiting',
        released_at: null,
      });
      const queue = await json(
        await t.manager.req(`/api/reviews/queue?team_id=${t.team}&criteria_set_id=${t.sets.ai_review}`),
      );
      expect(queue.data.find((e: { call_id: string }) => e.call_id === callId)).toMatchObject({
        grading_mode: 'ai_review',
        model: { overall_score: modelScore },
        review: null,
        agent: { id: t.agent.id, team_id: t.team },
      });

      const agentSees = async () => {
        const detail = await json(await t.agent.req(`/api/calls/${callId}`));
        const analysis = await json(await t.agent.req(`/api/calls/${callId}/analysis`));
        const insights = await json(await t.agent.req(`/api/calls/${callId}/insights`));
        const reviewed = await t.agent.req(`/api/calls/${callId}/review`);
        const inList = async (qs: string) =>
          (await json(await t.agent.req(`/api/calls?limit=100&${qs}`))).data.some(
            (c: { id: string }) => c.id === callId,
          );
        const summary = await json(await t.agent.req(`/api/analytics/summary?from_date=${day}&to_date=${day}`));
        const recommendations = await json(await t.agent.req(`/api/ai-coach/recommendations/${t.agent.id}`));
        return { detail, analysis, insights, reviewed, inList, summary, recommendations };
      };
      const hidden = await agentSees();
      expect(hidden.detail.call_info).toMatchObject({ status: 'awaiting_review', overall_score: null });
      expect(hidden.detail).toMatchObject({
        qa_evaluation: null,
        sentiment_analysis: null,
        customer_behavior: null,
        compliance_status: null,
        summary: null,
      });
      expect(hidden.analysis).toMatchObject({ current: null, history: [] });
      expect(hidden.insights.data).toEqual([]);
      expect(hidden.reviewed.status).toBe(404);
      expect(await hidden.inList('min_score=0'), 'a score filter must not reveal it').toBe(false);
      expect(await hidden.inList('max_score=100')).toBe(false);
      expect(await hidden.inList(''), 'the call itself is listed').toBe(true);
      expect(hidden.summary.current).toMatchObject({ calls_received: 1, calls_scored: 0, average_score: null });
      expect(JSON.stringify(hidden.recommendations), 'no evidence quoted from it').not.toContain(callId);
      expect(await asAgentInDatabase(t, callId)).toEqual({
        evaluations: 0,
        results: 0,
        insights: 0,
        reviews: 0,
        items: 0,
      });
      // Nor does an alert tell: the score's alerts wait for the review.
      expect(
        await system(t, "select type from alerts where entity_id = $1 and type in ('low_score', 'auto_fail')", [
          callId,
        ]),
      ).toEqual([]);
      await agentSocket.none('call.scored', 1_000);

      // Managers read the rollups with the call received but not yet scored (the agent's rows the same).
      const managerSummary = await json(
        await t.manager.req(`/api/analytics/summary?from_date=${day}&to_date=${day}&agent_id=${t.agent.id}`),
      );
      expect(managerSummary.current).toMatchObject({ calls_received: 1, calls_scored: 0 });

      // A manager reviews it: the agent sees everything, with the effective score.
      const res = await review(t, callId, {
        criteria: [{ criterion_id: t.criteria.greeting, score: 1, comment: 'Rude opening' }],
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const r = (await json(res)) as ReviewJson;
      expect(r.status).toBe('reviewed');
      const reviewedFrame = await frameFor(agentSocket, 'call.reviewed', callId);
      expect(reviewedFrame.data).toMatchObject({
        call_id: callId,
        overall_score: r.effective!.overall_score,
        model_score: modelScore,
      });
      await frameFor(managerSocket, 'call.reviewed', callId);

      const shown = await agentSees();
      expect(shown.detail.call_info).toMatchObject({ status: 'completed', overall_score: r.effective!.overall_score });
      expect(shown.detail.qa_evaluation).toMatchObject({
        overall_score: modelScore,
        review_status: 'reviewed',
        effective: r.effective,
      });
      expect(shown.detail.summary).toEqual(expect.any(String));
      expect(shown.analysis.current.id).toBe(managerView.qa_evaluation.id);
      expect(shown.reviewed.status).toBe(200);
      expect(
        await shown.inList(`min_score=${r.effective!.overall_score}&max_score=${r.effective!.overall_score}`),
      ).toBe(true);
      expect(shown.summary.current).toMatchObject({ calls_scored: 1, average_score: r.effective!.overall_score });
      expect(await asAgentInDatabase(t, callId)).toMatchObject({ evaluations: 1, results: 3, reviews: 1, items: 1 });
      if (r.effective!.overall_score < 60 || r.effective!.auto_failed)
        await eventually(
          async () =>
            (
              await system(t, "select 1 from alerts where entity_id = $1 and type in ('low_score', 'auto_fail')", [
                callId,
              ])
            ).length > 0,
        );

      // A re-analysis is a new evaluation, held back again until it is reviewed.
      await evaluate(t, callId, `reanalysis:${crypto.randomUUID()}`);
      const again = await agentSees();
      expect(again.detail.call_info).toMatchObject({ status: 'awaiting_review', overall_score: null });
      expect(again.detail.qa_evaluation).toBeNull();
      expect(again.analysis.current).toBeNull();
      expect(again.analysis.history.map((e: { id: string }) => e.id)).toEqual([managerView.qa_evaluation.id]);
      expect(again.summary.current).toMatchObject({ calls_scored: 0 });
      managerSocket.ws.close();
      agentSocket.ws.close();
    },
  );
});

describe('manual: no model call, the manager scores from the transcript', () => {
  it(
    'waits in the queue unscored, needs every criterion, then counts as scored everywhere',
    { timeout: 90_000 },
    async () => {
      const day = '2026-11-04';
      // Other files may score calls while this one runs: a manual scoring that called the model every
      // time could never show a quiet window, so one of a few attempts must.
      let callId = '';
      let quiet = false;
      for (let attempt = 0; attempt < 3 && !quiet; attempt++) {
        callId = await transcribedCall(t, t.agent2.id, 'manual', billingVerified.text, `${day}T09:00:00Z`);
        const before = (await openaiStats()).features['call_evaluation'] ?? 0;
        await evaluate(t, callId, 'pipeline');
        quiet = ((await openaiStats()).features['call_evaluation'] ?? 0) === before;
        if (!quiet) await t.manager.req(`/api/calls/${callId}`, { method: 'DELETE' });
      }
      expect(quiet, 'scoring a manual set asks no model').toBe(true);
      // The same tenant's ai_auto scoring does ask it (the counter moves), so the check can fail.
      const before = (await openaiStats()).features['call_evaluation'] ?? 0;
      await scoredCall(t, t.agent2.id, 'ai_auto');
      expect((await openaiStats()).features['call_evaluation']).toBeGreaterThan(before);

      const detail = await json(await t.manager.req(`/api/calls/${callId}`));
      expect(detail.call_info).toMatchObject({ status: 'awaiting_review', overall_score: null });
      expect(detail.qa_evaluation).toMatchObject({
        grading_mode: 'manual',
        overall_score: null,
        auto_failed: null,
        model: null,
        criteria: [],
        review_status: 'waiting',
      });
      expect(detail.transcription.text).toBe(billingVerified.text);
      const queue = await json(await t.manager.req('/api/reviews/queue?limit=100'));
      expect(queue.data.find((e: { call_id: string }) => e.call_id === callId)).toMatchObject({
        grading_mode: 'manual',
        model: null,
      });
      expect((await json(await t.agent2.req(`/api/calls/${callId}`))).qa_evaluation).toBeNull();

      const partial = await expectProblem(
        await review(t, callId, { criteria: [{ criterion_id: t.criteria.greeting, score: 9 }] }),
        422,
      );
      expect(partial.errors).toEqual([
        {
          field: 'criteria',
          message: expect.stringMatching(
            new RegExp(
              `missing: .*Identity verification \\(${t.criteria.identity}\\).*Closing \\(${t.criteria.closing}\\)|missing: .*Closing \\(${t.criteria.closing}\\).*Identity verification \\(${t.criteria.identity}\\)`,
            ),
          ),
        },
      ]);
      const confirm = await expectProblem(
        await review(t, callId, {
          criteria: [
            { criterion_id: t.criteria.greeting, confirm: true },
            { criterion_id: t.criteria.identity, score: 20 },
            { criterion_id: t.criteria.closing, score: 5 },
          ],
        }),
        422,
      );
      expect(confirm.errors?.[0]?.field).toBe('criteria.0.confirm');

      const res = await review(t, callId, {
        criteria: [
          { criterion_id: t.criteria.greeting, score: 9 },
          { criterion_id: t.criteria.identity, score: 20 },
          { criterion_id: t.criteria.closing, score: 2, passed: false },
        ],
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const r = (await json(res)) as ReviewJson;
      expect(r.effective).toEqual({ overall_score: Math.round((100 * 31) / 35), auto_failed: false, source: 'review' });
      expect(r.model).toBeNull();
      const shown = await json(await t.agent2.req(`/api/calls/${callId}`));
      expect(shown.call_info).toMatchObject({ status: 'completed', overall_score: 89 });
      const summary = await json(await t.agent2.req(`/api/analytics/summary?from_date=${day}&to_date=${day}`));
      expect(summary.current).toMatchObject({ calls_scored: 1, average_score: 89, pass_rate: 1 });
      expect(
        summary.lowest_criteria.find((c: { criterion_id: string }) => c.criterion_id === t.criteria.closing),
      ).toMatchObject({
        pct: 40,
        pass_rate: 0,
      });
      expect(
        (await json(await t.manager.req('/api/reviews/queue?limit=100'))).data.map(
          (e: { call_id: string }) => e.call_id,
        ),
      ).not.toContain(callId);
      const reviewed = await json(await t.manager.req('/api/reviews/queue?status=reviewed&limit=100'));
      expect(reviewed.data[0]).toMatchObject({ call_id: callId, review: { overall_score: 89 } });
    },
  );
});

describe('the review queue', () => {
  it('filters by team, set and age, pages, and refuses unknown filters and agents', async () => {
    const callId = await scoredCall(t, t.agent2.id, 'ai_review');
    const ids = async (qs: string) =>
      (await json(await t.manager.req(`/api/reviews/queue?limit=100&${qs}`))).data.map(
        (e: { call_id: string }) => e.call_id,
      );
    expect(await ids('')).toContain(callId);
    expect(await ids(`criteria_set_id=${t.sets.manual}`)).not.toContain(callId);
    expect(await ids('older_than_hours=1'), 'scored just now').not.toContain(callId);
    await system(t, `update evaluations set created_at = now() - interval '3 hours' where call_id = $1 and current`, [
      callId,
    ]);
    expect(await ids('older_than_hours=2')).toContain(callId);
    const org = (await json(await t.admin('/api/organizations'))).data[0].id;
    const team = await json(
      await t.admin(`/api/organizations/${org}/teams`, { method: 'POST', body: { name: `Other ${uniq()}` } }),
    );
    expect(await ids(`team_id=${team.id}`)).toEqual([]);
    const page = await json(await t.manager.req('/api/reviews/queue?limit=1&page=1'));
    expect(page.data).toHaveLength(1);
    expect(page.pagination.total).toBeGreaterThanOrEqual(2);
    const waiting = await json(await t.manager.req('/api/reviews/queue?limit=100'));
    const ages = waiting.data.map((e: { scored_at: string }) => e.scored_at);
    expect(ages, 'oldest first').toEqual([...ages].sort());

    const p = await expectProblem(
      await t.manager.req(`/api/reviews/queue?team_id=${crypto.randomUUID()}&criteria_set_id=${crypto.randomUUID()}`),
      422,
    );
    expect(p.errors?.map((e) => e.field)).toEqual(['team_id', 'criteria_set_id']);
    await expectProblem(await t.manager.req('/api/reviews/queue?status=open'), 422);
    await expectProblem(await t.agent.req('/api/reviews/queue'), 403);
    // Another tenant's manager sees none of this tenant's calls.
    const globex = await json(await as('globex_manager', '/api/reviews/queue?limit=100'));
    expect(globex.data.map((e: { call_id: string }) => e.call_id)).not.toContain(callId);
  });
});

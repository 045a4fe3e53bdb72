/**
 * Disputes through the public surface: the call's agent opens one on its released evaluation, a
 * manager who is not that agent takes it in review and decides every item, and the resolution
 * becomes the human review of those criteria (the effective score, analytics and AI agreement
 * follow). Every illegal move, the window and the limit, isolation (by the API and by the
 * database itself), the audit trail, the live events and the cron's expiry sweep. A tenant of its
 * own, so no other file's calls enter its figures.
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { as, asTenant, expectProblem, IDS, json, runCron } from './helpers';
import { scoredCall, system, trustTenant, type Tenant } from './trust-tenant';

const GLOBEX_MANAGER = IDS['manager@globex.test']!;
let t: Tenant;
beforeAll(async () => {
  t = await trustTenant();
}, 60_000);

type Req = Tenant['manager']['req'];
type DisputeJson = {
  id: string;
  status: string;
  call_id: string;
  evaluation_id: string;
  agent: { id: string; team_id: string | null };
  window_ends_at: string;
  reviewer_id: string | null;
  resolved_by: string | null;
  closed_at: string | null;
  items: {
    criterion_id: string;
    max_points: number;
    original: { score: number; passed: boolean };
    proposed_score: number;
    decision: string | null;
    decided: { score: number; passed: boolean } | null;
  }[];
};

const item = (criterion_id: string, proposed_score: number, reason = 'I did say it, at 0:12') => ({
  criterion_id,
  proposed_score,
  reason,
});
const open = (req: Req, callId: string, items: unknown[], comment?: string) =>
  req(`/api/calls/${callId}/disputes`, { method: 'POST', body: { items, ...(comment ? { comment } : {}) } });
const move = (req: Req, id: string, action: 'review' | 'withdraw' | 'resolve', body?: unknown) =>
  req(`/api/disputes/${id}/${action}`, { method: 'POST', ...(body === undefined ? {} : { body }) });

async function opened(req: Req, callId: string, items: unknown[]): Promise<DisputeJson> {
  const res = await open(req, callId, items);
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

async function ok(res: Response): Promise<DisputeJson> {
  expect(res.status, await res.clone().text()).toBe(200);
  return json(res);
}

/** Puts the tenant's `disputes` settings; null removes one. */
async function disputeSettings(values: Record<string, number | null>) {
  const res = await t.admin('/api/admin/settings', { method: 'PUT', body: { category: 'disputes', settings: values } });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** The overall score from per-criterion values, as the product defines it: a second implementation. */
function overall(criteria: { score: number; max_points: number; auto_failed: boolean }[]) {
  if (criteria.some((c) => c.auto_failed)) return 0;
  const earned = criteria.reduce((n, c) => n + Math.min(c.score, c.max_points), 0);
  const possible = criteria.reduce((n, c) => n + c.max_points, 0);
  return Math.round((100 * earned) / possible);
}

/** Dispute events the tenant's hub recorded for one dispute, with who they are addressed to. */
async function hubEvents(disputeId: string) {
  const hub = env.TENANT_HUB.get(env.TENANT_HUB.idFromName(t.id));
  return runInDurableObject(hub, (_i, state) =>
    state.storage.sql
      .exec("SELECT type, data, agent_id, team_id FROM events WHERE type LIKE 'dispute.%' ORDER BY seq")
      .toArray()
      .map((r) => ({ type: r.type, data: JSON.parse(String(r.data)), agent_id: r.agent_id, team_id: r.team_id }))
      .filter((e) => e.data.dispute_id === disputeId),
  );
}

const agreement = async () =>
  (await json(await t.manager.req('/api/analytics/ai-agreement'))).criteria as {
    criterion_id: string;
    n: number;
    sources: { source: string; n: number }[];
  }[];

describe('a dispute from opening to resolution', () => {
  it(
    'moves the effective score, analytics and AI agreement; upheld keeps an earlier human score; audited and emitted',
    { timeout: 120_000 },
    async () => {
      const day = '2026-11-12';
      const callId = await scoredCall(t, t.agent.id, 'ai_auto', undefined, `${day}T10:00:00Z`);
      // A manager reviewed closing first: an upheld closing must keep that score, not the model's.
      const pre = await t.manager.req(`/api/calls/${callId}/review`, {
        method: 'PUT',
        body: { criteria: [{ criterion_id: t.criteria.closing, score: 1, comment: 'No goodbye' }] },
      });
      expect(pre.status, await pre.clone().text()).toBe(200);
      const before = await json(await t.manager.req(`/api/calls/${callId}/review`));
      const c = (id: string) => before.criteria.find((x: { criterion_id: string }) => x.criterion_id === id);
      const agreementBefore = (await agreement()).find((x) => x.criterion_id === t.criteria.greeting)?.n ?? 0;

      const d = await opened(t.agent.req, callId, [
        item(t.criteria.greeting, 10),
        item(t.criteria.identity, 20),
        item(t.criteria.closing, 5),
      ]);
      expect(d).toMatchObject({ status: 'open', call_id: callId, agent: { id: t.agent.id, team_id: t.team } });
      expect(d.items.map((i) => [i.criterion_id, i.original.score, i.decision])).toEqual([
        [t.criteria.greeting, c(t.criteria.greeting).effective.score, null],
        [t.criteria.identity, c(t.criteria.identity).effective.score, null],
        [t.criteria.closing, 1, null],
      ]);
      expect(Date.parse(d.window_ends_at) - Date.now()).toBeGreaterThan(6 * 86_400_000);

      // The agent reads its own; the other agent sees nothing of it.
      expect((await json(await t.agent.req('/api/disputes'))).data.map((x: { id: string }) => x.id)).toContain(d.id);
      expect((await json(await t.agent2.req('/api/disputes'))).data).toEqual([]);
      await expectProblem(await t.agent2.req(`/api/disputes/${d.id}`), 404);
      await expectProblem(await move(t.agent.req, d.id, 'review'), 403);
      await expectProblem(
        await move(t.manager.req, d.id, 'resolve', {
          items: [{ criterion_id: t.criteria.greeting, decision: 'upheld', comment: 'x' }],
        }),
        409,
      );

      const inReview = await ok(await move(t.manager.req, d.id, 'review'));
      expect(inReview).toMatchObject({ status: 'in_review', reviewer_id: t.manager.id });
      const twice = await expectProblem(await move(t.manager.req, d.id, 'review'), 409);
      expect(twice.detail).toMatch(/already in review/);

      const resolved = await ok(
        await move(t.manager.req, d.id, 'resolve', {
          items: [
            { criterion_id: t.criteria.greeting, decision: 'overturned', comment: 'The greeting is there' },
            { criterion_id: t.criteria.identity, decision: 'modified', score: 15, comment: 'Partly verified' },
            { criterion_id: t.criteria.closing, decision: 'upheld', comment: 'Still no goodbye' },
          ],
          comment: 'Listened again',
        }),
      );
      expect(resolved).toMatchObject({ status: 'resolved', resolved_by: t.manager.id });
      expect(resolved.closed_at).toEqual(expect.any(String));
      expect(resolved.items.map((i) => [i.decision, i.decided])).toEqual([
        ['overturned', { score: 10, passed: true }],
        ['modified', { score: 15, passed: true }],
        ['upheld', { score: 1, passed: false }],
      ]);

      // The resolution is the human review of those criteria, naming the dispute.
      const after = await json(await t.manager.req(`/api/calls/${callId}/review`));
      const h = (id: string) =>
        after.criteria.find((x: { criterion_id: string }) => x.criterion_id === id) as {
          max_points: number;
          model: { score: number };
          human: { score: number; confirmed: boolean; source: string; source_id: string };
          effective: { score: number; auto_failed: boolean };
        };
      expect(h(t.criteria.greeting).human).toMatchObject({ score: 10, source: 'dispute', source_id: d.id });
      expect(h(t.criteria.identity).human).toMatchObject({ score: 15, source: 'dispute', confirmed: false });
      expect(h(t.criteria.closing).human, 'upheld keeps the earlier human score').toMatchObject({
        score: 1,
        confirmed: true,
        source: 'dispute',
        source_id: d.id,
      });
      expect(h(t.criteria.greeting).model, "the model's verdict is untouched").toEqual(c(t.criteria.greeting).model);
      const expected = overall(
        [t.criteria.greeting, t.criteria.identity, t.criteria.closing].map((id) => ({
          score: h(id).effective.score,
          max_points: h(id).max_points,
          auto_failed: false,
        })),
      );
      expect(expected).toBe(Math.round((100 * 26) / 35));
      expect(after.effective).toEqual({ overall_score: expected, auto_failed: false, source: 'review' });
      const detail = await json(await t.agent.req(`/api/calls/${callId}`));
      expect(detail.call_info.overall_score, "the call's score of record").toBe(expected);
      const summary = await json(
        await t.manager.req(`/api/analytics/summary?from_date=${day}&to_date=${day}&agent_id=${t.agent.id}`),
      );
      expect(summary.current).toMatchObject({ calls_scored: 1, average_score: expected });

      // The overturned criterion is a pair of the AI's score and a human's, from the dispute.
      const greeting = (await agreement()).find((x) => x.criterion_id === t.criteria.greeting)!;
      expect(greeting.n).toBe(agreementBefore + 1);
      expect(greeting.sources.map((s) => s.source)).toContain('dispute');

      // Every change left its trail, by who made it.
      const audit = await json(await t.admin('/api/admin/audit-logs?entity_type=disputes&limit=100'));
      const trail = audit.data
        .filter((e: { entity_id: string }) => e.entity_id === d.id)
        .map((e: { action: string; actor_id: string; changes: Record<string, any> }) => [
          e.action,
          e.actor_id,
          e.changes.status?.to ?? e.changes.status,
        ]);
      expect(trail.sort()).toEqual(
        [
          ['disputes.insert', t.agent.id, 'open'],
          ['disputes.update', t.manager.id, 'in_review'],
          ['disputes.update', t.manager.id, 'resolved'],
        ].sort(),
      );
      const itemTrail = await json(await t.admin('/api/admin/audit-logs?entity_type=dispute_items&limit=100'));
      expect(
        itemTrail.data.filter((e: { action: string }) => e.action === 'dispute_items.update').length,
      ).toBeGreaterThanOrEqual(3);

      // Live: to the agent and the managers of its team.
      const events = await hubEvents(d.id);
      expect(events.map((e) => e.type)).toEqual(['dispute.opened', 'dispute.resolved']);
      for (const e of events) expect(e).toMatchObject({ agent_id: t.agent.id, team_id: t.team });
      expect(events[1]!.data).toMatchObject({ overall_score: expected, call_id: callId });

      // Final is final; a second dispute is allowed once none is pending.
      for (const action of ['review', 'withdraw'] as const) {
        const req = action === 'withdraw' ? t.agent.req : t.manager.req;
        await expectProblem(await move(req, d.id, action), 409);
      }
      await expectProblem(
        await move(t.manager.req, d.id, 'resolve', {
          items: [{ criterion_id: t.criteria.greeting, decision: 'upheld', comment: 'again' }],
        }),
        409,
      );
      const second = await opened(t.agent.req, callId, [item(t.criteria.identity, 20)]);
      expect(second.items[0]!.original.score, 'what is in force now').toBe(15);
    },
  );
});

describe('the state machine and the limit', () => {
  it('one pending dispute per evaluation by default; withdrawn frees the place; the setting raises it', async () => {
    const callId = await scoredCall(t, t.agent.id, 'ai_auto');
    const first = await opened(t.agent.req, callId, [item(t.criteria.greeting, 9)]);
    const full = await expectProblem(await open(t.agent.req, callId, [item(t.criteria.closing, 5)]), 409);
    expect(full.detail).toMatch(/disputes\.max_open_per_evaluation/);

    await expectProblem(await move(t.agent2.req, first.id, 'withdraw'), 404);
    await expectProblem(await move(t.manager.req, first.id, 'withdraw'), 403);
    const withdrawn = await ok(await move(t.agent.req, first.id, 'withdraw'));
    expect(withdrawn).toMatchObject({ status: 'withdrawn' });
    expect(withdrawn.closed_at).toEqual(expect.any(String));
    await expectProblem(await move(t.agent.req, first.id, 'withdraw'), 409);
    await expectProblem(await move(t.manager.req, first.id, 'review'), 409);

    const second = await opened(t.agent.req, callId, [item(t.criteria.closing, 5)]);
    await disputeSettings({ max_open_per_evaluation: 2 });
    try {
      await opened(t.agent.req, callId, [item(t.criteria.identity, 20)]);
      await expectProblem(await open(t.agent.req, callId, [item(t.criteria.greeting, 10)]), 409);
    } finally {
      await disputeSettings({ max_open_per_evaluation: null });
    }
    // In review, it may still be withdrawn; then nothing more moves it.
    await ok(await move(t.manager.req, second.id, 'review'));
    await ok(await move(t.agent.req, second.id, 'withdraw'));
    await expectProblem(
      await move(t.manager.req, second.id, 'resolve', {
        items: [{ criterion_id: t.criteria.closing, decision: 'overturned', comment: 'x' }],
      }),
      409,
    );
    const listed = await json(await t.manager.req(`/api/disputes?status=withdrawn&agent_id=${t.agent.id}&limit=100`));
    expect(listed.data.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(listed.data.every((x: { status: string }) => x.status === 'withdrawn')).toBe(true);
    const ids = async (qs: string) =>
      (await json(await t.manager.req(`/api/disputes?limit=100&${qs}`))).data.map((x: { id: string }) => x.id);
    expect(await ids(`team_id=${t.team}`)).toContain(first.id);
    expect(await ids('older_than_hours=0')).toContain(first.id);
    expect(await ids('older_than_hours=1'), 'opened just now').not.toContain(first.id);
    expect(await ids(`agent_id=${t.agent2.id}`)).not.toContain(first.id);
    const page = await json(await t.manager.req('/api/disputes?limit=1&page=2'));
    expect(page.data).toHaveLength(1);
    expect(page.pagination.total).toBeGreaterThanOrEqual(3);
    await expectProblem(await t.manager.req(`/api/disputes?agent_id=${crypto.randomUUID()}`), 422);
  });

  it('refuses out-of-range dispute settings with 422 naming the key', async () => {
    const res = await t.admin('/api/admin/settings', {
      method: 'PUT',
      body: { category: 'disputes', settings: { window_days: -1, max_open_per_evaluation: 0 } },
    });
    const p = await expectProblem(res, 422);
    expect(p.errors?.map((e) => e.field).sort()).toEqual(['settings.max_open_per_evaluation', 'settings.window_days']);
  });
});

describe('the window', () => {
  it('is 7 days after the release by default, and the tenant setting moves it', async () => {
    const callId = await scoredCall(t, t.agent.id, 'ai_auto');
    await system(t, `update evaluations set released_at = now() - interval '8 days' where call_id = $1 and current`, [
      callId,
    ]);
    const late = await expectProblem(await open(t.agent.req, callId, [item(t.criteria.greeting, 10)]), 403);
    expect(late.detail).toMatch(/window .* closed/);
    await disputeSettings({ window_days: 30 });
    try {
      const d = await opened(t.agent.req, callId, [item(t.criteria.greeting, 10)]);
      expect(Date.parse(d.window_ends_at) - Date.now()).toBeGreaterThan(21 * 86_400_000);
      await disputeSettings({ window_days: 0 });
      const fresh = await scoredCall(t, t.agent.id, 'ai_auto');
      await expectProblem(await open(t.agent.req, fresh, [item(t.criteria.greeting, 10)]), 403);
    } finally {
      await disputeSettings({ window_days: null });
    }
  });

  it('expires only open disputes once it passes, by the cron sweep, audited as the platform job', async () => {
    const [a, b] = [await scoredCall(t, t.agent.id, 'ai_auto'), await scoredCall(t, t.agent.id, 'ai_auto')];
    for (const id of [a, b])
      await system(
        t,
        `update evaluations set released_at = now() - interval '7 days' + interval '3 seconds' where call_id = $1 and current`,
        [id],
      );
    const lapsing = await opened(t.agent.req, a, [item(t.criteria.greeting, 10)]);
    const reviewed = await opened(t.agent.req, b, [item(t.criteria.greeting, 10)]);
    await ok(await move(t.manager.req, reviewed.id, 'review'));
    await runCron();
    expect((await json(await t.agent.req(`/api/disputes/${lapsing.id}`))).status, 'not yet').toBe('open');
    await new Promise((r) => setTimeout(r, 3_500));
    await runCron();
    expect((await json(await t.agent.req(`/api/disputes/${lapsing.id}`))).status).toBe('expired');
    expect((await json(await t.agent.req(`/api/disputes/${reviewed.id}`))).status, 'in review stays').toBe('in_review');
    await expectProblem(await move(t.manager.req, lapsing.id, 'review'), 409);
    await expectProblem(await move(t.agent.req, lapsing.id, 'withdraw'), 409);
    const audit = await json(await t.admin('/api/admin/audit-logs?entity_type=disputes&limit=100'));
    expect(
      audit.data.find(
        (e: { entity_id: string; changes: any }) => e.entity_id === lapsing.id && e.changes.status?.to === 'expired',
      ),
    ).toMatchObject({ actor_id: 'system:sweeper', actor_role: 'system' });
  });
});

describe('bad input', () => {
  it('refuses items that do not fit with 422 naming the field, and writes nothing', async () => {
    const callId = await scoredCall(t, t.agent.id, 'ai_auto');
    const cases: [unknown[], string, RegExp][] = [
      [[item('nope', 1)], 'items.0.criterion_id', /not a criterion of this evaluation/],
      [[item(t.criteria.greeting, 1), item(t.criteria.closing, 6)], 'items.1.proposed_score', /at most 5/],
      [[item(t.criteria.greeting, 1), item(t.criteria.greeting, 2)], 'items.1.criterion_id', /named earlier/],
      [[], 'items', /at least one/],
      [[{ criterion_id: t.criteria.greeting, proposed_score: 3 }], 'items.0.reason', /.+/],
      [[item(t.criteria.greeting, -1)], 'items.0.proposed_score', /at least 0/],
    ];
    for (const [items, field, message] of cases) {
      const p = await expectProblem(await open(t.agent.req, callId, items), 422);
      const error = p.errors?.find((e) => e.field === field);
      expect(error, `${JSON.stringify(items)}: ${JSON.stringify(p.errors)}`).toBeDefined();
      expect(error!.message).toMatch(message);
    }
    expect((await json(await t.manager.req(`/api/disputes?limit=100`))).data.map((d: any) => d.call_id)).not.toContain(
      callId,
    );

    const d = await opened(t.agent.req, callId, [item(t.criteria.greeting, 10), item(t.criteria.closing, 5)]);
    await ok(await move(t.manager.req, d.id, 'review'));
    const decide = (items: unknown[]) => move(t.manager.req, d.id, 'resolve', { items });
    const up = (id: string) => ({ criterion_id: id, decision: 'upheld', comment: 'Fair' });
    const resolveCases: [unknown[], string, RegExp][] = [
      [[up(t.criteria.greeting)], 'items', /missing: .*/],
      [[up(t.criteria.greeting), up(t.criteria.identity)], 'items.1.criterion_id', /not a criterion of this dispute/],
      [
        [up(t.criteria.greeting), { criterion_id: t.criteria.closing, decision: 'modified', comment: 'x' }],
        'items.1.score',
        /required/,
      ],
      [
        [up(t.criteria.greeting), { criterion_id: t.criteria.closing, decision: 'modified', score: 6, comment: 'x' }],
        'items.1.score',
        /at most 5/,
      ],
      [
        [up(t.criteria.greeting), { ...up(t.criteria.closing), score: 2 }],
        'items.1.score',
        /only when the decision is modified/,
      ],
      [[up(t.criteria.greeting), up(t.criteria.greeting)], 'items.1.criterion_id', /named earlier/],
      [[up(t.criteria.greeting), { ...up(t.criteria.closing), decision: 'maybe' }], 'items.1.decision', /.+/],
    ];
    for (const [items, field, message] of resolveCases) {
      const p = await expectProblem(await decide(items), 422);
      const error = p.errors?.find((e) => e.field === field);
      expect(error, `${JSON.stringify(items)}: ${JSON.stringify(p.errors)}`).toBeDefined();
      expect(error!.message).toMatch(message);
    }
    expect((await json(await t.manager.req(`/api/disputes/${d.id}`))).status, 'nothing decided').toBe('in_review');
    const review = await json(await t.manager.req(`/api/calls/${callId}/review`));
    expect(review.review, 'no human score written').toBeNull();
    await expectProblem(await t.manager.req(`/api/disputes?team_id=${crypto.randomUUID()}`), 422);
    await expectProblem(await t.manager.req('/api/disputes?status=closed'), 422);
  });
});

describe('who may do what', () => {
  it('only the call’s agent opens; nobody decides a dispute of their own call', async () => {
    const callId = await scoredCall(t, t.agent.id, 'ai_auto');
    await expectProblem(await open(t.agent2.req, callId, [item(t.criteria.greeting, 10)]), 404);
    await expectProblem(await open(t.manager.req, callId, [item(t.criteria.greeting, 10)]), 403);
    await expectProblem(await open(t.agent.req, crypto.randomUUID(), [item(t.criteria.greeting, 10)]), 404);
    // Held back for review: nothing released to dispute yet.
    const waiting = await scoredCall(t, t.agent.id, 'ai_review');
    await expectProblem(await open(t.agent.req, waiting, [item(t.criteria.greeting, 10)]), 409);

    // A manager's own call: the manager disputes it, someone else decides.
    const own = await scoredCall(t, t.manager.id, 'ai_auto');
    const d = await opened(t.manager.req, own, [item(t.criteria.closing, 5)]);
    await expectProblem(await move(t.manager.req, d.id, 'review'), 403);
    await ok(await move(t.admin, d.id, 'review'));
    const decision = { items: [{ criterion_id: t.criteria.closing, decision: 'overturned', comment: 'Agreed' }] };
    await expectProblem(await move(t.manager.req, d.id, 'resolve', decision), 403);
    expect(await ok(await move(t.admin, d.id, 'resolve', decision))).toMatchObject({ status: 'resolved' });
  });

  it('another tenant sees nothing of a dispute, through the API or the database', async () => {
    const callId = await scoredCall(t, t.agent.id, 'ai_auto');
    const d = await opened(t.agent.req, callId, [item(t.criteria.greeting, 10)]);
    for (const who of ['globex_manager', 'globex_admin', 'globex_agent'] as const) {
      expect((await as(who, `/api/disputes/${d.id}`)).status, who).toBe(404);
      const listed = await json(await as(who, '/api/disputes?limit=100'));
      expect(listed.data.map((x: { id: string }) => x.id)).not.toContain(d.id);
      expect((await as(who, `/api/disputes/${d.id}/withdraw`, { method: 'POST' })).status, who).toBe(404);
    }
    for (const who of ['globex_manager', 'globex_admin'] as const)
      expect((await as(who, `/api/disputes/${d.id}/review`, { method: 'POST' })).status, who).toBe(404);
    expect((await json(await t.manager.req(`/api/disputes/${d.id}`))).status, 'untouched').toBe('open');

    const [globexRows, globexItems, moved] = await asTenant('globex', GLOBEX_MANAGER, 'manager', [
      { query: 'select id from disputes where id = $1', params: [d.id] },
      { query: 'select id from dispute_items where dispute_id = $1', params: [d.id] },
      { query: "update disputes set status = 'in_review' where id = $1 returning id", params: [d.id] },
    ]);
    expect([globexRows, globexItems, moved]).toEqual([[], [], []]);
    const [otherAgent, otherItems] = await asTenant(t.id, t.agent2.id, 'agent', [
      { query: 'select id from disputes where id = $1', params: [d.id] },
      { query: 'select id from dispute_items where dispute_id = $1', params: [d.id] },
    ]);
    expect([otherAgent, otherItems], "another agent's dispute").toEqual([[], []]);
    await expect(
      asTenant('globex', GLOBEX_MANAGER, 'manager', [
        {
          query: `insert into disputes (tenant_id, call_id, evaluation_id, agent_id, window_ends_at)
                  values ($1, $2, $3, $4, now())`,
          params: [t.id, callId, d.evaluation_id, t.agent.id],
        },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('the database holds the state machine too: an agent only withdraws, final states are final', async () => {
    const callId = await scoredCall(t, t.agent.id, 'ai_auto');
    const d = await opened(t.agent.req, callId, [item(t.criteria.greeting, 10)]);
    await expect(
      asTenant(t.id, t.agent.id, 'agent', [
        { query: "update disputes set status = 'in_review' where id = $1", params: [d.id] },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      asTenant(t.id, t.agent.id, 'agent', [
        {
          query: "update dispute_items set decision = 'overturned', decided_score = 10 where dispute_id = $1",
          params: [d.id],
        },
      ]),
    ).resolves.toEqual([[]]);
    await ok(await move(t.agent.req, d.id, 'withdraw'));
    const [reopened] = await asTenant(t.id, t.manager.id, 'manager', [
      { query: "update disputes set status = 'open', closed_at = null where id = $1 returning id", params: [d.id] },
    ]);
    expect(reopened, 'a withdrawn dispute is never reopened').toEqual([]);
  });
});

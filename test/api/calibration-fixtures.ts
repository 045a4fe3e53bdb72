/**
 * What the calibration and AI agreement tests share: criteria unique to the run, calls scored as
 * the pipeline records them (evaluation plus criterion results, with the criteria snapshot), a
 * third manager to grade, and the calls of the calibration endpoints.
 */
import { expect } from 'vitest';
import { as, asTenant, call, forgeToken, IDS, json, type Who } from './helpers';

export const run = crypto.randomUUID().slice(0, 8);
export const SYSTEM = ['system:pipeline', 'system'] as const;
export const M = IDS['manager@acme.test']!;
export const A = IDS['admin@acme.test']!;
export const AGENT = IDS['agent@acme.test']!;
export const GLOBEX_MANAGER = IDS['manager@globex.test']!;
/** A third acme manager, and one who is inactive; both made here. */
export const G3 = crypto.randomUUID();
export const INACTIVE = crypto.randomUUID();
let g3Token = '';

/** A marker in the AI's reasoning: finding it in a blind view would be a leak. */
export const AI_MARKER = `ai-reasoning-${run}`;

// The criteria as the calls were scored with them (version 2 of each), ids unique to this run.
export const GREET = { id: `cal-${run}-greet`, name: 'Greeting', category: 'soft', max_points: 5 };
export const VERIFY = { id: `cal-${run}-verify`, name: 'Verification', category: 'compliance', max_points: 10 };
const snapshot = [GREET, VERIFY].map((c) => ({
  ...c,
  description: `${c.name} as scored`,
  auto_fail: false,
  evaluation_prompts: [],
  version: 2,
}));

export type Ai = Record<'greet' | 'verify', [score: number, passed: boolean]>;

/** Writes an evaluation of a call as the pipeline does (evaluation row plus criterion results); `current` retires the earlier ones. */
export async function evaluate(
  callId: string,
  ai: Ai,
  { tenant = 'acme', scoredAt }: { tenant?: string; scoredAt?: string } = {},
) {
  const evaluationId = crypto.randomUUID();
  const rows = [
    { ...GREET, score: ai.greet[0], passed: ai.greet[1] },
    { ...VERIFY, score: ai.verify[0], passed: ai.verify[1] },
  ];
  await asTenant(tenant, ...SYSTEM, [
    { query: 'update criterion_results set current = false where call_id = $1', params: [callId] },
    {
      query: `insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, overall_score, auto_failed, results,
                                       compliance, sentiment, customer_behavior, summary, model, created_at)
              select $1::uuid, $2, $3::uuid, 'reanalysis:' || $1::text, $4::jsonb, 70, false,
                     (select jsonb_agg(jsonb_build_object('criterion_id', x.id, 'score', x.score, 'passed', x.passed, 'reasoning', $6::text))
                        from jsonb_to_recordset($5::jsonb) as x(id text, score int, passed boolean)),
                     '[]', '{}', '{}', 'seeded', 'test', coalesce($7::timestamptz, now())`,
      params: [
        evaluationId,
        tenant,
        callId,
        JSON.stringify(snapshot),
        JSON.stringify(rows),
        AI_MARKER,
        scoredAt ?? null,
      ],
    },
    {
      query: `insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category,
                                             score, max_points, passed, scored_at)
              select $1, $2, $3, (select agent_id from calls where id = $3), x.id, x.name, x.category, x.score, x.max_points, x.passed,
                     coalesce($5::timestamptz, now())
              from jsonb_to_recordset($4::jsonb) as x(id text, name text, category text, score int, max_points int, passed boolean)`,
      params: [tenant, evaluationId, callId, JSON.stringify(rows), scoredAt ?? null],
    },
  ]);
  return evaluationId;
}

export async function newCall(tenant = 'acme', status = 'completed', agentId: string | null = AGENT) {
  const id = crypto.randomUUID();
  await asTenant(tenant, ...SYSTEM, [
    {
      query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key) values ($1::uuid, $2, $3, 'upload', $4, $2 || '/calls/' || $1::text)`,
      params: [id, tenant, agentId, status],
    },
  ]);
  return id;
}

export async function scoredCall(ai: Ai, scoredAt?: string) {
  const id = await newCall();
  const evaluationId = await evaluate(id, ai, { scoredAt });
  return { id, evaluationId };
}

export type Grader = Who | 'g3';
export function asGrader(
  who: Grader,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  if (who === 'g3') return call(path, { ...init, headers: { authorization: `Bearer ${g3Token}`, ...init.headers } });
  return as(who, path, init);
}

export const sessions = '/api/calibration/sessions';

export async function createSession(
  callIds: string[],
  graderIds: string[],
  who: Grader = 'acme_manager',
  name = `Calibration ${run} ${crypto.randomUUID().slice(0, 4)}`,
) {
  const res = await asGrader(who, sessions, {
    method: 'POST',
    body: { name, call_ids: callIds, grader_ids: graderIds },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

export function put(who: Grader, sessionId: string, callId: string, scores: unknown[]) {
  return asGrader(who, `${sessions}/${sessionId}/calls/${callId}/scores`, { method: 'PUT', body: { scores } });
}

export const score = (criterion: { id: string }, points: number, passed: boolean, comment?: string) => ({
  criterion_id: criterion.id,
  score: points,
  passed,
  ...(comment === undefined ? {} : { comment }),
});

export async function putOk(who: Grader, sessionId: string, callId: string, scores: unknown[]) {
  const res = await put(who, sessionId, callId, scores);
  expect(res.status, `${who}: ${await res.clone().text()}`).toBe(200);
  return json(res);
}

/** A third acme manager (with a token signed by the realm's own key, like the stand-in's) and an inactive one. */
export async function setUpGraders() {
  await asTenant('acme', ...SYSTEM, [
    {
      query: `insert into users (id, tenant_id, email, first_name, role, status) values
                ($1::uuid, 'acme', 'cal-' || $3 || '-g3@acme.test', 'Third', 'manager', 'active'),
                ($2::uuid, 'acme', 'cal-' || $3 || '-off@acme.test', 'Off', 'manager', 'inactive')`,
      params: [G3, INACTIVE, run],
    },
  ]);
  g3Token = await forgeToken('qa-acme', {
    sub: G3,
    realm_access: { roles: ['manager'] },
    email: `cal-${run}-g3@acme.test`,
    tenant_id: 'acme',
  });
}

/**
 * Course generation from an agent's own scored calls. The calls are scored by the real evaluate
 * step (queue handler → OpenAI stand-in), in a tenant of this file's own so quotas, criteria and
 * counts are not shared with other files; the course is written by the stand-in's
 * `coaching_course` responder through the product's own request.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FABRICATED_QUOTE } from '../../dev/openai/responders/coaching-course';
import type { PipelineMessage } from '../../src/pipeline/messages';
import { as, asTenant, call, deliver, expectProblem, IDS, json, logLines, passwordGrant } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const PATH = '/api/ai-coach/generate-course';

/** The tenant, its admin's token and id, its agents, and their scored calls. */
let tenant: string;
let admin: { token: string; id: string };
let agent: { token: string; id: string };
let otherAgent: string;
let unscoredAgent: string;
const calls: Record<'rude1' | 'rude2' | 'fabricate' | 'refuse' | 'truncate' | 'other', string> = {} as never;

const post = (body: unknown, headers: Record<string, string> = {}, token = admin.token) =>
  call(PATH, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body });
const get = (path: string, token = admin.token) => call(path, { headers: { authorization: `Bearer ${token}` } });

/** Rows as the tenant's admin sees them. */
const sql = async (query: string, params: unknown[] = []) =>
  (await asTenant(tenant, admin.id, 'tenant_admin', [{ query, params }]))[0]!;

async function footprint() {
  const [row] = await sql(
    `select (select count(*)::int from coach_courses) as courses, (select count(*)::int from coach_modules) as modules,
            (select count(*)::int from coach_lessons) as lessons,
            coalesce((select calls from tenant_usage where day = current_date), 0)::int as used`,
  );
  return row as { courses: number; modules: number; lessons: number; used: number };
}

const openaiStats = async () =>
  (await (await fetch(`${env.OPENAI_BASE_URL!.replace(/\/v1$/, '')}/__stats`)).json()) as {
    features: Record<string, number>;
  };

/** A transcribed call of `agentId` where the agent says `lines` (one utterance each, 10 s apart). */
async function transcribedCall(agentId: string, lines: string[]): Promise<string> {
  const id = crypto.randomUUID();
  const utterances = lines.flatMap((text, i) => [
    {
      speaker: 'B',
      role: 'customer',
      text: 'My refund still has not arrived.',
      start_ms: i * 10_000,
      end_ms: i * 10_000 + 3_000,
      confidence: 0.95,
    },
    { speaker: 'A', role: 'agent', text, start_ms: i * 10_000 + 4_000, end_ms: i * 10_000 + 9_000, confidence: 0.95 },
  ]);
  await asTenant(tenant, 'system:pipeline', 'system', [
    {
      query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key, tags)
              values ($1, $2, $3, 'upload', 'transcribed', $4, array['coach-generate'])`,
      params: [id, tenant, agentId, `${tenant}/calls/${id}/audio`],
    },
    {
      query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles)
              values ($1, $2, $3, $4, $5::jsonb, '{"A":"agent","B":"customer"}'::jsonb)`,
      params: [id, tenant, `test-${id}`, lines.join(' '), JSON.stringify(utterances)],
    },
  ]);
  return id;
}

const evaluate = (callId: string): PipelineMessage => ({
  step: 'evaluate',
  tenant_id: tenant,
  call_id: callId,
  run_key: 'pipeline',
});

/** The evidence quotes of `criterionId` in the calls' current evaluations, by call. */
async function evidenceOf(callIds: string[], criterionId?: string) {
  const rows = await sql(
    `select e.call_id, r ->> 'criterion_id' as criterion_id, q ->> 'quote' as quote
       from evaluations e
       join criterion_results cr on cr.evaluation_id = e.id and cr.current
       cross join lateral jsonb_array_elements(e.results) r
       cross join lateral jsonb_array_elements(r -> 'evidence') q
      where e.call_id = any($1::uuid[]) and cr.criterion_id = r ->> 'criterion_id'`,
    [callIds],
  );
  return (rows as { call_id: string; criterion_id: string; quote: string }[]).filter(
    (r) => !criterionId || r.criterion_id === criterionId,
  );
}

beforeAll(async () => {
  tenant = `g${uniq()}`;
  const created = await as('super_admin', '/api/tenants', {
    method: 'POST',
    body: {
      tenant_id: tenant,
      display_name: 'Coach generation',
      subdomain: tenant,
      admin: { email: `a@${tenant}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
    },
  });
  expect(created.status).toBe(201);
  const adminToken = (await passwordGrant(`a@${tenant}.test`, tenant, 'long-enough-pass')).access_token;
  const profile = await json(await get('/api/auth/profile', adminToken));
  admin = { token: adminToken, id: profile.user_profile?.id };
  expect(admin.id, JSON.stringify(profile)).toBeTruthy();

  const newAgent = await call('/api/users', {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
    body: {
      email: `agent@${tenant}.test`,
      first_name: 'Ana',
      last_name: 'Agent',
      role: 'agent',
      password: 'welcome-aboard-1',
    },
  });
  const agentBody = await json(newAgent);
  expect(newAgent.status, JSON.stringify(agentBody)).toBe(201);
  agent = {
    id: agentBody.id,
    token: (await passwordGrant(`agent@${tenant}.test`, tenant, 'welcome-aboard-1')).access_token,
  };

  otherAgent = crypto.randomUUID();
  unscoredAgent = crypto.randomUUID();
  await asTenant(tenant, admin.id, 'tenant_admin', [
    {
      query: `insert into users (id, tenant_id, email, role) values ($1, $3, $4, 'agent'), ($2, $3, $5, 'agent')`,
      params: [otherAgent, unscoredAgent, tenant, `other@${tenant}.test`, `unscored@${tenant}.test`],
    },
  ]);

  calls.rude1 = await transcribedCall(agent.id, [
    'Yeah. Calm down, I heard you the first time.',
    'That is not my problem, the bank does refunds.',
    'Is that it? Bye.',
  ]);
  calls.rude2 = await transcribedCall(agent.id, [
    'Whatever, I already told you the refund takes ten days.',
    'You need to listen, that is how it works.',
  ]);
  calls.fabricate = await transcribedCall(agent.id, ['Calm down [[bad_citation]] and let me talk.']);
  calls.refuse = await transcribedCall(agent.id, ['Calm down [[refuse:coaching_course]] and let me talk.']);
  calls.truncate = await transcribedCall(agent.id, ['Calm down [[truncate:coaching_course]] and let me talk.']);
  calls.other = await transcribedCall(otherAgent, ['Calm down, it is not my problem.']);
  const { result } = await deliver('qa-pipeline', Object.values(calls).map(evaluate));
  expect(result.retryMessages, 'every call was scored').toEqual([]);
  const [scored] = await sql(`select count(*)::int as n from calls where status = 'completed'`);
  expect(scored!.n).toBe(Object.keys(calls).length);
});

describe('generate-course: happy path', () => {
  it('stores a draft written from the agent’s own evidence, every citation one of the quotes sent', async () => {
    const before = await footprint();
    const res = await post({ agent_id: agent.id, weakness_areas: ['empathy'], call_ids: [calls.rude1, calls.rude2] });
    const answer = await json(res);
    expect(res.status, JSON.stringify(answer)).toBe(201);
    expect(answer.dropped_citations).toBe(0);

    const course = await json(await get(`/api/ai-coach/courses/${answer.course_id}`));
    expect(course).toMatchObject({ status: 'draft', source: 'generated', version: 1 });
    const from = course.generated_from;
    expect(from).toMatchObject({
      agent_id: agent.id,
      criterion_ids: ['empathy'],
      weakness_areas: ['empathy'],
      model: 'gpt-4o-2024-08-06',
      dropped_citations: [],
    });
    expect([...from.call_ids].sort()).toEqual([calls.rude1, calls.rude2].sort());
    expect(from.evaluation_ids).toHaveLength(2);

    expect(course.modules).toHaveLength(1);
    const lessons = course.modules[0].lessons;
    expect(lessons.map((l: any) => l.type)).toEqual(['reading', 'example', 'exercise', 'quiz']);
    const quiz = lessons[3].content.questions;
    expect(quiz, 'a manager sees the answers').toHaveLength(2);
    for (const q of quiz) expect(q.correct.length).toBeGreaterThan(0);

    const sent = await evidenceOf([calls.rude1, calls.rude2], 'empathy');
    expect(sent.length).toBeGreaterThan(0);
    const citations = lessons.flatMap((l: any) => l.content.citations ?? []);
    for (const l of lessons.filter((l: any) => l.type === 'example' || l.type === 'exercise'))
      expect(l.content.citations.length, `${l.type} cites a quote`).toBeGreaterThan(0);
    for (const c of citations) {
      const match = sent.find((s) => s.call_id === c.call_id && s.quote.includes(c.quote));
      expect(match, `cited "${c.quote}" from ${c.call_id} is evidence of that call`).toBeDefined();
      expect(typeof c.start_seconds).toBe('number');
    }

    expect(answer.recommended_modules).toEqual([
      expect.objectContaining({ module_id: course.modules[0].id, position: 0, criterion_id: 'empathy' }),
    ]);
    const after = await footprint();
    expect(after).toEqual({
      courses: before.courses + 1,
      modules: before.modules + 1,
      lessons: before.lessons + 4,
      used: before.used + 1,
    });
  });

  it('the agent cannot see the draft written for them', async () => {
    const res = await post({ agent_id: agent.id, weakness_areas: ['empathy'], call_ids: [calls.rude1] });
    const { course_id } = await json(res);
    expect(res.status).toBe(201);
    await expectProblem(await get(`/api/ai-coach/courses/${course_id}`, agent.token), 404);
    const listed = await json(await get('/api/ai-coach/courses?limit=100', agent.token));
    expect(listed.data.map((c: any) => c.id)).not.toContain(course_id);
  });

  it('with no weakness areas, takes the skill gaps of the agent’s recommendations', async () => {
    // The calls narrow the evidence, not the choice of areas (the marker calls would stop the model).
    const res = await post({ agent_id: agent.id, weakness_areas: [], call_ids: [calls.rude1, calls.rude2] });
    const answer = await json(res);
    expect(res.status, JSON.stringify(answer)).toBe(201);
    const course = await json(await get(`/api/ai-coach/courses/${answer.course_id}`));
    const areas: string[] = course.generated_from.weakness_areas;
    expect(areas.length).toBeGreaterThan(0);
    expect(areas.length).toBeLessThanOrEqual(3);
    const recommendations = await json(await get(`/api/ai-coach/recommendations/${agent.id}`));
    const gaps = recommendations.skill_gaps.filter((g: any) => g.is_gap).map((g: any) => g.criterion_id);
    expect(areas, 'the recommendations’ gaps, worst first').toEqual(gaps.slice(0, 3));
    expect(course.modules.length).toBe(new Set(course.generated_from.criterion_ids).size);
    // Nothing of the other agent went into it.
    expect(course.generated_from.call_ids).not.toContain(calls.other);
  });

  it('drops a citation that is not among the quotes sent, and records the drop', async () => {
    const { value: res, lines } = await logLines(() =>
      post({ agent_id: agent.id, weakness_areas: ['empathy'], call_ids: [calls.fabricate] }),
    );
    const answer = await json(res);
    expect(res.status, JSON.stringify(answer)).toBe(201);
    expect(answer.dropped_citations).toBe(1);
    const course = await json(await get(`/api/ai-coach/courses/${answer.course_id}`));
    expect(course.generated_from.dropped_citations).toEqual([
      expect.objectContaining({ module: 0, lesson: 1, call_id: calls.fabricate, quote: FABRICATED_QUOTE }),
    ]);
    const citations = course.modules.flatMap((m: any) => m.lessons.flatMap((l: any) => l.content.citations ?? []));
    expect(citations.map((c: any) => c.quote)).not.toContain(FABRICATED_QUOTE);
    expect(citations.length, 'the genuine citations stay').toBeGreaterThan(0);
    expect(lines.filter((l) => l.message === 'generated course citation dropped')).toEqual([
      expect.objectContaining({ level: 'warn', call_id: calls.fabricate, module: 0, lesson: 1 }),
    ]);
  });

  it('an Idempotency-Key replay answers the same course without asking the model again', async () => {
    const key = `gen-${uniq()}`;
    const body = { agent_id: agent.id, weakness_areas: ['empathy'], call_ids: [calls.rude2] };
    const modelCalls = (await openaiStats()).features['coaching_course'] ?? 0;
    const first = await post(body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const firstAnswer = await json(first);
    const afterFirst = await footprint();
    const again = await post({ ...body }, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(await json(again)).toEqual(firstAnswer);
    expect((await openaiStats()).features['coaching_course'], 'one model call for both').toBe(modelCalls + 1);
    expect(await footprint(), 'nothing more stored or charged').toEqual(afterFirst);

    const other = await post({ ...body, weakness_areas: ['closing'] }, { 'idempotency-key': key });
    expect((await expectProblem(other, 422)).type).toMatch(/idempotency-key-reused$/);
    await expectProblem(await post(body, { 'idempotency-key': 'has spaces in it' }), 422);
  });
});

describe('generate-course: failures of the model leave nothing behind', () => {
  it.each([
    ['a refusal', 'refuse', /refused/],
    ['a truncated answer', 'truncate', /ran out of output tokens/],
  ] as const)('%s is 503, stores nothing and charges nothing', async (_, which, detail) => {
    const before = await footprint();
    const res = await post({ agent_id: agent.id, weakness_areas: ['empathy'], call_ids: [calls[which]] });
    const problem = await expectProblem(res, 503);
    expect(problem.detail).toMatch(detail);
    expect(problem.detail).toMatch(/Nothing was stored/);
    expect(await footprint()).toEqual(before);
  });
});

describe('generate-course: bad input', () => {
  const field = async (res: Response, status = 422) => (await expectProblem(res, status)).errors?.map((e) => e.field);

  it("a call that is not the agent's is 422 naming it, and nothing is charged", async () => {
    const before = await footprint();
    expect(await field(await post({ agent_id: agent.id, weakness_areas: [], call_ids: [calls.other] }))).toEqual([
      'call_ids.0',
    ]);
    expect(
      await field(
        await post({
          agent_id: agent.id,
          weakness_areas: [],
          call_ids: [calls.rude1, crypto.randomUUID(), calls.other],
        }),
      ),
    ).toEqual(['call_ids.1', 'call_ids.2']);
    expect(await footprint()).toEqual(before);
  });

  it('an agent with no scored calls is 422', async () => {
    const problem = await expectProblem(await post({ agent_id: unscoredAgent, weakness_areas: [] }), 422);
    expect(problem.errors).toEqual([{ field: 'agent_id', message: 'has no scored calls' }]);
  });

  it('an unknown user or one who is not an agent is 422 agent_id', async () => {
    const unknown = await expectProblem(await post({ agent_id: crypto.randomUUID(), weakness_areas: [] }), 422);
    expect(unknown.errors).toEqual([{ field: 'agent_id', message: 'does not exist' }]);
    const notAgent = await expectProblem(await post({ agent_id: admin.id, weakness_areas: [] }), 422);
    expect(notAgent.errors).toEqual([{ field: 'agent_id', message: 'is not an agent' }]);
  });

  it('a weakness area the agent was never scored on is 422 naming it', async () => {
    expect(await field(await post({ agent_id: agent.id, weakness_areas: ['empathy', 'juggling'] }))).toEqual([
      'weakness_areas.1',
    ]);
  });

  it('the body is checked field by field', async () => {
    expect(await field(await post({ weakness_areas: [] }))).toContain('agent_id');
    expect(await field(await post({ agent_id: 'nope', weakness_areas: [] }))).toContain('agent_id');
    expect(await field(await post({ agent_id: agent.id }))).toContain('weakness_areas');
    const eleven = Array.from({ length: 11 }, (_, i) => `area${i}`);
    expect(await field(await post({ agent_id: agent.id, weakness_areas: eleven }))).toContain('weakness_areas');
    expect(await field(await post({ agent_id: agent.id, weakness_areas: [], call_ids: ['x'] }))).toContain(
      'call_ids.0',
    );
    const many = Array.from({ length: 51 }, () => crypto.randomUUID());
    expect(await field(await post({ agent_id: agent.id, weakness_areas: [], call_ids: many }))).toContain('call_ids');
    expect(await field(await post({ agent_id: agent.id, weakness_areas: [], extra: 1 }))).toBeDefined();
  });

  it('over the day’s quota it is 429, and nothing is stored', async () => {
    const before = await footprint();
    expect(before.used, 'earlier generations were charged').toBeGreaterThan(0);
    const limit = (n: number) =>
      as('super_admin', `/api/tenants/${tenant}`, { method: 'PUT', body: { limits: { max_calls_per_day: n } } });
    expect((await limit(before.used)).status).toBe(200);
    try {
      const problem = await expectProblem(await post({ agent_id: agent.id, weakness_areas: ['empathy'] }), 429);
      expect(problem.detail).toMatch(new RegExp(`limit of ${before.used} calls today`));
      expect(await footprint()).toEqual(before);
    } finally {
      expect((await limit(200)).status).toBe(200);
    }
  });
});

describe('generate-course: who may', () => {
  it('an agent is 403', async () => {
    await expectProblem(await post({ agent_id: agent.id, weakness_areas: [] }, {}, agent.token), 403);
    await expectProblem(
      await as('acme_agent', PATH, { method: 'POST', body: { agent_id: IDS['agent@acme.test'], weakness_areas: [] } }),
      403,
    );
  });

  it.each(['globex_manager', 'acme_manager'] as const)(
    "%s cannot generate for another tenant's agent or name its calls",
    async (who) => {
      const res = await as(who, PATH, {
        method: 'POST',
        body: { agent_id: agent.id, weakness_areas: ['empathy'], call_ids: [calls.rude1] },
      });
      expect((await expectProblem(res, 422)).errors).toEqual([{ field: 'agent_id', message: 'does not exist' }]);
    },
  );
});

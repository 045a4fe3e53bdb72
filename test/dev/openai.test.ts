/**
 * The OpenAI stand-in as a contract fake: the product's own evaluate call (`evaluateTranscript`)
 * and the real `openai` SDK against it over HTTP. Answers follow the product's schema and the
 * sample calls; failure switches, auth and requests the product would never send fail the way
 * OpenAI does.
 */
import OpenAI, {
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OpenAIStandIn, startOpenAI } from '../../dev/openai/index.ts';
import { FABRICATED_QUOTE } from '../../dev/openai/responders/coaching-course.ts';
import { RESPONDERS } from '../../dev/openai/responders/index.ts';
import { loadSampleTranscript, SAMPLE_CRITERIA, SAMPLES } from '../../dev/samples/index.ts';
import type { Utterance } from '../../src/db/schema.ts';
import type { Config } from '../../src/env.ts';
import {
  type CriterionForScoring,
  EvaluationRejected,
  evaluateTranscript,
  evaluationSchema,
  type ModelEvaluation,
  type RequirementForScoring,
  transcriptForPrompt,
} from '../../src/integrations/openai-evaluator.ts';
import { SYSTEM_COMPLIANCE_TEMPLATES } from '../../src/services/compliance-system-templates.ts';
import {
  CourseGenerationRejected,
  generatedCourseSchema,
  type Weakness,
  writeCourse,
} from '../../src/integrations/openai-course-writer.ts';

const API_KEY = 'sk-test-local-0000';
const MODEL = 'gpt-4o-2024-08-06';

let openai: OpenAIStandIn;
let client: OpenAI;
let config: Config;
const calls = new Map<string, Utterance[]>();

/** The sample form as the product stores it: ids are the sample's criterion ids so expectations can name them. */
const criteria: CriterionForScoring[] = SAMPLE_CRITERIA.map((c) => ({
  id: c.id,
  name: c.name,
  description: c.description,
  category: c.id === 'recording_disclosure' || c.id === 'identity_verification' ? 'compliance' : 'soft_skills',
  max_points: c.max_points,
  auto_fail: c.id === 'identity_verification',
  evaluation_prompts: [],
  version: 3,
}));
const Evaluation = evaluationSchema(criteria);

/**
 * The share of points the model gave, in percent, and whether an auto-fail criterion triggered:
 * what the product scores with (qa_overall_score in the database), recomputed here to judge the
 * stand-in's answers.
 */
function pointsShare(form: CriterionForScoring[], result: ModelEvaluation) {
  const earned = form.reduce((n, c) => n + Math.min(result.criteria[c.id]!.score, c.max_points), 0);
  const possible = form.reduce((n, c) => n + c.max_points, 0);
  const autoFailed = form.some((c) => c.auto_fail && result.criteria[c.id]!.auto_fail_triggered);
  return { score: autoFailed ? 0 : Math.round((earned / possible) * 100), autoFailed };
}

beforeAll(async () => {
  openai = await startOpenAI({ port: 0, behaviour: { apiKey: API_KEY, latencyMs: 0 } });
  client = new OpenAI({ apiKey: API_KEY, baseURL: openai.url, maxRetries: 0 });
  config = { openai: { apiKey: API_KEY, baseUrl: openai.url, model: MODEL } } as Config;
  for (const s of SAMPLES) {
    const t = await loadSampleTranscript(s.name);
    calls.set(
      s.name,
      t.utterances.map((u) => ({
        speaker: u.speaker,
        role: u.speaker === 'A' ? 'agent' : 'customer',
        text: u.text,
        start_ms: u.start,
        end_ms: u.end,
        confidence: u.confidence,
      })),
    );
  }
});

afterAll(async () => {
  await openai?.close();
});

beforeEach(() => {
  openai.configure({
    latencyMs: 0,
    httpErrorRate: 0,
    httpErrorStatus: undefined,
    refusalRate: 0,
    truncationRate: 0,
    apiKey: API_KEY,
  });
  openai.resetStats();
});

const evaluate = async (name: string) => (await evaluateTranscript(config, criteria, calls.get(name)!)).result;

/** The product's user message, for requests the SDK sends directly. */
function productMessages(name: string, extra = ''): OpenAI.ChatCompletionMessageParam[] {
  const block = criteria.map(({ version: _version, ...c }) => c);
  const { text } = transcriptForPrompt(calls.get(name)!);
  return [
    { role: 'system', content: 'You are a quality-assurance analyst for a call center.' },
    {
      role: 'user',
      content: `Criteria:\n\`\`\`json\n${JSON.stringify(block, null, 2)}\n\`\`\`\n\nTranscript:\n${text}${extra}`,
    },
  ];
}

const request = (name: string, extra = '') => ({
  model: MODEL,
  messages: productMessages(name, extra),
  response_format: zodResponseFormat(Evaluation, 'call_evaluation'),
});

describe('OpenAI stand-in: the product evaluation', () => {
  for (const sample of SAMPLES) {
    it(`scores ${sample.name} as the sample expects, with real quotes and their times`, async () => {
      const result = await evaluate(sample.name);
      expect(Evaluation.parse(result)).toEqual(result);
      const utterances = calls.get(sample.name)!;
      for (const c of criteria) {
        const verdict = result.criteria[c.id]!;
        expect(verdict.passed, `${sample.name}/${c.id}: ${verdict.reasoning}`).toBe(
          sample.expected.passes[c.id as keyof typeof sample.expected.passes],
        );
        expect(verdict.passed).toBe(verdict.score >= 0.6 * c.max_points);
        expect(verdict.auto_fail_triggered).toBe(c.auto_fail && !verdict.passed);
        for (const e of verdict.evidence) {
          const said = utterances.find((u) => u.text.includes(e.quote));
          expect(said, `quote "${e.quote}" is verbatim from the call`).toBeDefined();
          expect(e.start_seconds).toBeCloseTo(said!.start_ms / 1000, 1);
        }
      }
      expect(result.sentiment.customer).toBe(sample.expected.customerSentiment);
      expect(result.summary.length).toBeGreaterThan(40);
    });
  }

  it('scores the good call high and the rude one low, and says why', async () => {
    const good = await evaluate('billing-verified');
    const bad = await evaluate('rude-agent');
    const neutralForm = criteria.map((c) => ({ ...c, auto_fail: false }));
    expect(pointsShare(neutralForm, good).score).toBeGreaterThanOrEqual(90);
    expect(pointsShare(neutralForm, bad).score).toBeLessThanOrEqual(20);
    expect(pointsShare(criteria, bad), 'a failed identity check auto-fails the call').toEqual({
      score: 0,
      autoFailed: true,
    });
    expect(good.compliance!.every((c) => c.met && c.evidence !== null)).toBe(true);
    expect(bad.compliance!.map((c) => [c.requirement, c.met, c.evidence])).toEqual([
      ['Recording disclosure', false, null],
      ['Identity verification', false, null],
    ]);
    expect(bad.summary).toMatch(/supervisor/);
    expect(bad.customer_behavior).toMatchObject({ escalation_requested: true, churn_risk: 'high' });
    expect(bad.customer_behavior.emotions).toEqual(expect.arrayContaining(['angry', 'frustrated']));
    expect(bad.sentiment).toMatchObject({ overall: 'negative', agent: 'negative', trajectory: 'worsening' });
    expect(bad.criteria['empathy']!.evidence.map((e) => e.quote).join(' ')).toMatch(/Calm down|Not my problem/);
    expect(bad.insights.map((i) => i.type)).toEqual(expect.arrayContaining(['customer', 'compliance', 'coaching']));
    const severity = (title: string) => bad.insights.find((i) => i.title === title)?.severity;
    expect(severity('Compliance: Identity verification'), 'an auto-fail requirement').toBe('critical');
    expect(severity('Compliance: Recording disclosure')).toBe('high');
  });

  it('answers the same request with the same content, and a different call differently', async () => {
    const a = await client.chat.completions.create(request('tech-support'));
    const b = await client.chat.completions.create(request('tech-support'));
    const c = await client.chat.completions.create(request('retention-dual'));
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.id).not.toBe(b.id);
    expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
    expect(a.usage!.total_tokens).toBe(a.usage!.prompt_tokens + a.usage!.completion_tokens);
    expect(openai.stats().completions).toBe(3);
  });

  it('carries a request id on answers and errors', async () => {
    const { request_id } = await client.chat.completions.create(request('tech-support')).withResponse();
    expect(request_id).toMatch(/^req_[0-9a-f]{32}$/);
    const err = await client.chat.completions
      .create({ ...request('tech-support'), model: 42 as unknown as string })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).requestID).toMatch(/^req_/);
  });
});

describe('OpenAI stand-in: compliance requirements', () => {
  const pci = SYSTEM_COMPLIANCE_TEMPLATES.find((t) => t.key === 'pci_dss')!;
  const requirements: RequirementForScoring[] = pci.requirements.map((r) => ({
    ...r,
    id: `tpl-1/${r.key}`,
    template_id: 'tpl-1',
    template_name: pci.name,
    template_version: 4,
    regulation_type: pci.regulation_type,
    must_say: [...r.must_say],
    must_not_say: [...r.must_not_say],
  }));
  const line = (role: 'agent' | 'customer', text: string, at: number): Utterance => ({
    speaker: role === 'agent' ? 'A' : 'B',
    role,
    text,
    start_ms: at * 1000,
    end_ms: at * 1000 + 900,
    confidence: 0.9,
  });

  it('judges each requirement of the prompt by its id, with quotes and times, in the schema the product asks for', async () => {
    const utterances = [
      line('agent', 'I will transfer you to our secure payment line for the card details.', 1),
      line('customer', 'Okay. Actually, my card is 4111 1111 1111 1111.', 5),
      line('agent', 'Just to confirm, 4111-1111-1111-1111?', 9.5),
    ];
    const { result } = await evaluateTranscript(config, criteria, utterances, requirements);
    expect(evaluationSchema(criteria, requirements).parse(result)).toEqual(result);
    expect(result.compliance, 'requirements replace the free-form list').toBeUndefined();
    expect(Object.keys(result.requirements!)).toEqual(requirements.map((r) => r.id));
    expect(result.requirements!['tpl-1/no_card_number_repeated']).toMatchObject({
      status: 'not_met',
      evidence: [{ quote: 'Just to confirm, 4111-1111-1111-1111?', start_seconds: 9.5 }],
    });
    expect(result.requirements!['tpl-1/recording_paused_for_card_details']).toMatchObject({
      status: 'met',
      evidence: [{ quote: utterances[0]!.text, start_seconds: 1 }],
    });
    expect(result.requirements!['tpl-1/no_security_code_repeated']!.status).toBe('met');
  });

  it('answers not applicable when the call never reaches what a requirement covers', async () => {
    const { result } = await evaluateTranscript(config, criteria, calls.get('tech-support')!, requirements);
    expect(Object.values(result.requirements!).map((r) => r.status)).toEqual(Array(5).fill('not_applicable'));
  });
});

describe('OpenAI stand-in: the product course writer', () => {
  const CALL_A = '11111111-1111-4111-8111-111111111111';
  const CALL_B = '22222222-2222-4222-8222-222222222222';
  const weaknesses = (marker = ''): Weakness[] => [
    {
      criterion_id: 'empathy',
      name: 'Empathy',
      category: 'communication',
      failing_results: [
        {
          call_id: CALL_A,
          evaluation_id: '33333333-3333-4333-8333-333333333333',
          score: 3,
          max_points: 15,
          reasoning: 'dismissed the customer: "Calm down."',
          evidence: [{ quote: `Calm down.${marker}`, start_seconds: 4.2 }],
        },
        {
          call_id: CALL_B,
          evaluation_id: '44444444-4444-4444-8444-444444444444',
          score: 0,
          max_points: 15,
          reasoning: null,
          evidence: [{ quote: 'That is not my problem.', start_seconds: 9 }],
        },
      ],
    },
    {
      criterion_id: 'closing',
      name: 'Closing',
      category: 'closing',
      failing_results: [
        {
          call_id: CALL_A,
          evaluation_id: '33333333-3333-4333-8333-333333333333',
          score: 2,
          max_points: 10,
          reasoning: 'ended abruptly',
          evidence: [{ quote: 'Is that it?', start_seconds: 30.5 }],
        },
      ],
    },
  ];
  const sent = (w: Weakness[]) =>
    new Set(w.flatMap((x) => x.failing_results.flatMap((r) => r.evidence.map((e) => `${r.call_id}|${e.quote}`))));

  it('writes one module per weakness, citing only quotes from the prompt', async () => {
    const input = weaknesses();
    const { course, model } = await writeCourse(config, input);
    expect(model).toBe(MODEL);
    expect(course.modules.map((m) => m.criterion_id)).toEqual(['empathy', 'closing']);
    for (const m of course.modules) {
      expect(m.lessons.map((l) => l.type)).toEqual(['reading', 'example', 'exercise', 'quiz']);
      expect(m.lessons[3]!.questions).toHaveLength(2);
      expect(m.lessons[1]!.citations.length, 'the example cites a quote').toBeGreaterThan(0);
      expect(m.lessons[2]!.citations.length, 'the exercise cites a quote').toBeGreaterThan(0);
    }
    const empathy = course.modules[0]!.lessons;
    expect(empathy[1]!.citations).toEqual([{ call_id: CALL_A, quote: 'Calm down.' }]);
    expect(empathy[2]!.citations, 'the exercise cites the second quote').toEqual([
      { call_id: CALL_B, quote: 'That is not my problem.' },
    ]);
    const cited = course.modules.flatMap((m) => m.lessons.flatMap((l) => l.citations));
    for (const c of cited) expect(sent(input).has(`${c.call_id}|${c.quote}`), c.quote).toBe(true);
    expect(course.recommended_modules[0]!.module_index, 'most points lost first').toBe(0);
    expect(openai.stats().features).toEqual({ coaching_course: 1 });
    expect((await writeCourse(config, input)).course, 'the same prompt, the same course').toEqual(course);
  });

  it('adds a citation the prompt never had on [[bad_citation]]', async () => {
    const { course } = await writeCourse(config, weaknesses(' [[bad_citation]]'));
    const cited = course.modules.flatMap((m) => m.lessons.flatMap((l) => l.citations));
    expect(cited.filter((c) => c.quote === FABRICATED_QUOTE)).toHaveLength(1);
  });

  it('refuses, truncates and filters on its own markers, which scoring ignores', async () => {
    await expect(writeCourse(config, weaknesses(' [[refuse:coaching_course]]'))).rejects.toThrow(
      CourseGenerationRejected,
    );
    await expect(writeCourse(config, weaknesses(' [[truncate:coaching_course]]'))).rejects.toThrow(
      /ran out of output tokens before finishing the course/,
    );
    await expect(writeCourse(config, weaknesses(' [[content_filter]]'))).rejects.toThrow(/content filter/);
    const scored = await client.chat.completions.parse(request('tech-support', '\n[[refuse:coaching_course]]'));
    expect(scored.choices[0]!.message.refusal, "another feature's marker").toBeNull();
    openai.configure({ refusalRate: 1 });
    await expect(writeCourse(config, weaknesses())).rejects.toThrow(/refused to write the course/);
  });

  it('answers 400 when the prompt has no weaknesses block', async () => {
    const err = await client.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Write a course.' }],
        response_format: zodResponseFormat(generatedCourseSchema, 'coaching_course'),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toMatch(/Weaknesses:/);
  });
});

describe('OpenAI stand-in: failure switches', () => {
  it('refuses under refusalRate 1 and on [[refuse]]; the product rejects the evaluation', async () => {
    openai.configure({ refusalRate: 1 });
    const refused = await client.chat.completions.parse(request('tech-support'));
    expect(refused.choices[0]!.message).toMatchObject({ content: null, parsed: null });
    expect(refused.choices[0]!.message.refusal).toMatch(/can't help/);
    await expect(evaluate('tech-support')).rejects.toThrow(EvaluationRejected);
    openai.configure({ refusalRate: 0 });
    const marked = await client.chat.completions.parse(request('tech-support', '\n[[refuse]]'));
    expect(marked.choices[0]!.message.refusal).toBeTruthy();
  });

  it('cuts the answer off under truncationRate 1 (finish_reason length), so parse() throws', async () => {
    openai.configure({ truncationRate: 1 });
    const raw = await client.chat.completions.create(request('billing-verified'));
    expect(raw.choices[0]!.finish_reason).toBe('length');
    expect(() => JSON.parse(raw.choices[0]!.message.content!)).toThrow(SyntaxError);
    await expect(client.chat.completions.parse(request('billing-verified'))).rejects.toThrow(LengthFinishReasonError);
    await expect(evaluate('billing-verified')).rejects.toThrow(/ran out of output tokens/);
  });

  it('stops on the content filter for [[content_filter]]', async () => {
    await expect(client.chat.completions.parse(request('billing-verified', '\n[[content_filter]]'))).rejects.toThrow(
      ContentFilterFinishReasonError,
    );
  });

  it.each([
    [429, RateLimitError, 'rate_limit_exceeded'],
    [500, InternalServerError, null],
  ] as const)('answers %i under httpErrorRate 1, in OpenAI error shape, and counts it', async (status, type, code) => {
    openai.configure({ httpErrorRate: 1, httpErrorStatus: status });
    const err = await client.chat.completions.create(request('tech-support')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as InstanceType<typeof type>).code).toBe(code);
    expect(openai.stats()).toEqual({ completions: 0, httpErrors: 1, features: {} });
  });

  it('waits latencyMs before answering', async () => {
    openai.configure({ latencyMs: 250 });
    const started = Date.now();
    await client.chat.completions.create(request('tech-support'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });
});

describe('OpenAI stand-in: requests the product would not send', () => {
  it('wants the Bearer key: none and a wrong one (masked) are 401', async () => {
    // The SDK will not send a request without a key, so this one goes out by hand.
    const none = await fetch(`${openai.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request('tech-support')),
    });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: {
        message: expect.stringMatching(/didn't provide an API key/),
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    const wrong = new OpenAI({ apiKey: 'sk-wrong-key-1234', baseURL: openai.url, maxRetries: 0 });
    const err = await wrong.chat.completions.create(request('tech-support')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('invalid_api_key');
    expect((err as AuthenticationError).message).toContain('sk-********1234');
    expect(openai.stats().completions).toBe(0);
  });

  it('answers an unknown schema name with a 400 that lists the known ones', async () => {
    const err = await client.chat.completions
      .create({ ...request('tech-support'), response_format: zodResponseFormat(z.object({ x: z.string() }), 'haiku') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toMatch(/Unknown response_format 'haiku'.*call_evaluation/);
    expect((err as BadRequestError).param).toBe('response_format.json_schema.name');
  });

  it('answers 400 to a schema or a prompt that is not what the product builds', async () => {
    const fewer = evaluationSchema(criteria.slice(1));
    const schemaErr = await client.chat.completions
      .create({ ...request('tech-support'), response_format: zodResponseFormat(fewer, 'call_evaluation') })
      .catch((e: unknown) => e);
    expect((schemaErr as BadRequestError).code).toBe('schema_mismatch');
    const promptErr = await client.chat.completions
      .create({ ...request('tech-support'), messages: [{ role: 'user', content: 'Score this call, please.' }] })
      .catch((e: unknown) => e);
    expect(promptErr).toBeInstanceOf(BadRequestError);
    expect((promptErr as BadRequestError).message).toMatch(/not in the product's format.*Criteria:/);
    const text = await client.chat.completions
      .create({ model: MODEL, messages: productMessages('tech-support') })
      .catch((e: unknown) => e);
    expect((text as BadRequestError).message).toMatch(/structured outputs only/);
  });

  it('answers 500 naming the field when an answer fails the product schema', async () => {
    RESPONDERS['drift_probe'] = {
      respond: () => ({ schema: z.object({ score: z.number().int() }), answer: { score: 'high' } }),
    };
    try {
      const err = await client.chat.completions
        .create({
          model: MODEL,
          messages: [{ role: 'user', content: 'x' }],
          response_format: zodResponseFormat(z.object({ score: z.number().int() }), 'drift_probe'),
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InternalServerError);
      expect((err as InternalServerError).message).toMatch(/does not satisfy the product's schema[\s\S]*score/);
    } finally {
      delete RESPONDERS['drift_probe'];
    }
  });

  it('answers unknown paths with 404 in OpenAI error shape', async () => {
    await expect(client.models.list()).rejects.toThrow(NotFoundError);
  });
});

describe('OpenAI stand-in: control endpoints', () => {
  const origin = () => openai.url.replace(/\/v1$/, '');
  afterEach(() => openai.configure({ latencyMs: 0 }));

  it('takes behaviour changes and reports counters over HTTP, refusing unknown settings', async () => {
    const set = await fetch(`${origin()}/__config`, { method: 'POST', body: JSON.stringify({ latencyMs: 5 }) });
    expect(await set.json()).toMatchObject({ latencyMs: 5, apiKeyRequired: true });
    const bad = await fetch(`${origin()}/__config`, { method: 'POST', body: JSON.stringify({ speed: 'fast' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/speed|unrecognized/i);
    await client.chat.completions.create(request('tech-support'));
    expect(await (await fetch(`${origin()}/__stats`)).json()).toEqual({
      completions: 1,
      httpErrors: 0,
      features: { call_evaluation: 1 },
    });
    expect(await (await fetch(`${origin()}/__stats/reset`, { method: 'POST' })).json()).toEqual({
      completions: 0,
      httpErrors: 0,
      features: {},
    });
  });
});

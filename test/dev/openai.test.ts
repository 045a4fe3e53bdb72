/**
 * The OpenAI stand-in, driven by the real `openai` SDK with zod structured outputs: schema-valid,
 * deterministic evaluations that follow the sample calls, and the failure modes the product's
 * error handling has to cope with.
 */
import OpenAI, { APIError, AuthenticationError, BadRequestError } from 'openai';
import { LengthFinishReasonError } from 'openai/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OpenAIStandIn, startOpenAI } from '../../dev/openai/index.ts';
import { loadSampleTranscript, SAMPLE_CRITERIA, SAMPLES, type SampleTranscript } from '../../dev/samples/index.ts';
import { evaluationSchema } from '../../src/integrations/openai-evaluator.ts';

const API_KEY = 'sk-test-local-0000';
const MODEL = 'gpt-4o-2024-08-06';

const Evidence = z.object({ quote: z.string(), start_seconds: z.number() });
const CallScore = z.object({
  criteria: z.array(
    z.object({
      criterion_id: z.string(),
      score: z.number().min(0),
      max_points: z.number(),
      passed: z.boolean(),
      evidence: z.array(Evidence).max(3),
      reasoning: z.string(),
    }),
  ),
  overall_score: z.number().int().min(0).max(100),
  compliance: z.array(z.object({ rule: z.string(), met: z.boolean(), evidence: Evidence.nullable() })),
  customer_sentiment: z.enum(['positive', 'neutral', 'negative']),
  summary: z.string().max(600),
  insights: z
    .array(z.object({ type: z.enum(['strength', 'improvement', 'risk']), text: z.string() }))
    .min(1)
    .max(5),
  coaching_note: z.string().nullable(),
});

let openai: OpenAIStandIn;
let client: OpenAI;
const transcripts = new Map<string, SampleTranscript>();

beforeAll(async () => {
  openai = await startOpenAI({ port: 0, behaviour: { apiKey: API_KEY, latencyMs: 0 } });
  client = new OpenAI({ apiKey: API_KEY, baseURL: openai.url, maxRetries: 0 });
  for (const s of SAMPLES) transcripts.set(s.name, await loadSampleTranscript(s.name));
});

afterAll(async () => {
  await openai?.close();
});

beforeEach(() => {
  openai.configure({ latencyMs: 0, httpErrorRate: 0, apiKey: API_KEY });
  openai.resetStats();
});

/** The prompt format the stand-in documents: criteria as a JSON block, one `[12.3s] Agent: ...` line per utterance. */
function messages(t: SampleTranscript, extra = ''): OpenAI.ChatCompletionMessageParam[] {
  const lines = t.utterances.map(
    (u) => `[${(u.start / 1000).toFixed(1)}s] ${u.speaker === 'A' ? 'Agent' : 'Customer'}: ${u.text}`,
  );
  return [
    {
      role: 'system',
      content: `You are a call-center QA analyst. Score the call against each criterion.\n\nCriteria:\n\`\`\`json\n${JSON.stringify(SAMPLE_CRITERIA, null, 2)}\n\`\`\``,
    },
    { role: 'user', content: `Transcript:\n${lines.join('\n')}${extra}` },
  ];
}

async function score(name: string, extra = '') {
  const completion = await client.chat.completions.parse({
    model: MODEL,
    messages: messages(transcripts.get(name)!, extra),
    response_format: zodResponseFormat(CallScore, 'call_score'),
  });
  return completion;
}

describe('OpenAI stand-in: structured evaluations', () => {
  for (const sample of SAMPLES) {
    it(`scores ${sample.name} as the sample expects, with real quotes and times`, async () => {
      const completion = await score(sample.name);
      const parsed = completion.choices[0]!.message.parsed!;
      expect(completion.choices[0]!.finish_reason).toBe('stop');
      expect(CallScore.parse(parsed)).toEqual(parsed);

      const t = transcripts.get(sample.name)!;
      expect(parsed.criteria.map((c) => c.criterion_id)).toEqual(SAMPLE_CRITERIA.map((c) => c.id));
      for (const c of parsed.criteria) {
        const max = SAMPLE_CRITERIA.find((x) => x.id === c.criterion_id)!.max_points;
        expect(c.max_points).toBe(max);
        expect(c.score).toBeLessThanOrEqual(max);
        expect(c.passed, `${sample.name}/${c.criterion_id}: ${c.reasoning}`).toBe(
          sample.expected.passes[c.criterion_id as keyof typeof sample.expected.passes],
        );
        expect(c.passed).toBe(c.score >= 0.6 * max);
        for (const e of c.evidence) {
          const utterance = t.utterances.find((u) => u.text.includes(e.quote));
          expect(utterance, e.quote).toBeDefined();
          expect(e.start_seconds).toBeCloseTo(utterance!.start / 1000, 1);
        }
      }
      expect(parsed.customer_sentiment).toBe(sample.expected.customerSentiment);
      expect(parsed.summary.length).toBeGreaterThan(40);
      expect(parsed.insights.length).toBeGreaterThanOrEqual(1);
    });
  }

  it('gives a good call a higher score than a bad one, and explains the bad one', async () => {
    const good = (await score('billing-verified')).choices[0]!.message.parsed!;
    const bad = (await score('rude-agent')).choices[0]!.message.parsed!;
    expect(good.overall_score).toBeGreaterThanOrEqual(90);
    expect(bad.overall_score).toBeLessThanOrEqual(20);
    expect(bad.summary).toMatch(/supervisor|without a resolution/);
    expect(bad.insights.map((i) => i.type)).toContain('risk');
    expect(bad.coaching_note).toBeTruthy();
    expect(good.compliance.every((c) => c.met && c.evidence !== null)).toBe(true);
    expect(bad.compliance.every((c) => !c.met)).toBe(true);
    const empathy = bad.criteria.find((c) => c.criterion_id === 'empathy')!;
    expect(empathy.evidence.map((e) => e.quote).join(' ')).toMatch(/Calm down|Not my problem/);
  });

  it('answers the same messages with the same evaluation, and different calls differently', async () => {
    const a = await score('tech-support');
    const b = await score('tech-support');
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.id).not.toBe(b.id);
    const c = await score('retention-dual');
    expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
    expect(a.usage!.prompt_tokens).toBeGreaterThan(500);
    expect(a.usage!.total_tokens).toBe(a.usage!.prompt_tokens + a.usage!.completion_tokens);
  });

  it('reads a bare "A:/B:" transcript and bullet-list criteria, and a one-criterion schema', async () => {
    const t = transcripts.get('rude-agent')!;
    const completion = await client.chat.completions.parse({
      model: MODEL,
      messages: [
        {
          role: 'system',
          content:
            'Evaluate the call.\nCriteria:\n- greeting (Opening greeting, max 5 points): greets and introduces themselves\n',
        },
        { role: 'user', content: t.utterances.map((u) => `${u.speaker}: ${u.text}`).join('\n') },
      ],
      response_format: zodResponseFormat(
        z.object({
          score: z.number().int().min(0).max(5),
          passed: z.boolean(),
          evidence: z.array(z.object({ quote: z.string(), start_ms: z.number().int() })),
          reasoning: z.string(),
        }),
        'criterion_score',
      ),
    });
    const parsed = completion.choices[0]!.message.parsed!;
    expect(parsed.passed).toBe(false);
    expect(parsed.score).toBeLessThan(3);
    expect(parsed.evidence[0]?.quote).toBe('Northwind, go ahead.');
    expect(parsed.evidence[0]?.start_ms).toBe(0);
    expect(parsed.reasoning).toMatch(/greeting/);
  });

  it('fills $ref/definitions, recursion, nullable unions, consts, formats and bounds validly', async () => {
    const Quote = z.object({ quote: z.string(), start_ms: z.number().int() }).meta({ id: 'Quote' });
    const Topic = z.object({
      label: z.string().min(3).max(40),
      get subtopics() {
        return z.array(Topic).max(2);
      },
    });
    const Schema = z.object({
      version: z.literal('v1'),
      call_id: z.uuid(),
      evaluated_at: z.iso.datetime(),
      reviewer_email: z.email(),
      highlights: z.array(Quote).min(2).max(4),
      best_moment: Quote,
      topics: Topic,
      rating: z.number().int().min(1).max(5),
      agent_sentiment: z.enum(['very_negative', 'negative', 'neutral', 'positive', 'very_positive']),
      escalation: z.object({ reason: z.string(), at_seconds: z.number() }).nullable(),
      tags: z.array(z.string()).min(1).max(3),
      weight: z.number().gt(0).lt(1),
    });
    const completion = await client.chat.completions.parse({
      model: MODEL,
      messages: messages(transcripts.get('rude-agent')!),
      response_format: zodResponseFormat(Schema, 'call_review'),
    });
    const parsed = completion.choices[0]!.message.parsed!;
    expect(Schema.parse(parsed)).toEqual(parsed);
    expect(parsed.agent_sentiment).toMatch(/negative/);
    expect(parsed.rating).toBeLessThanOrEqual(2);
    expect(parsed.escalation).not.toBeNull();
  });
});

describe('OpenAI stand-in: per-criterion objects keyed by id', () => {
  // Criteria as stored by a product: uuid ids, categories, auto-fail flags, a schema built from them.
  const form = SAMPLE_CRITERIA.map((c, i) => ({
    id: `00000000-0000-4000-8000-00000000000${i}`,
    name: c.name,
    description: c.description,
    category: c.id === 'recording_disclosure' || c.id === 'identity_verification' ? 'compliance' : 'soft_skills',
    max_points: c.max_points,
    auto_fail: c.id === 'identity_verification',
    evaluation_prompts: [] as string[],
    version: 1,
  }));
  // The product's own schema builder: the stand-in must satisfy exactly what the API asks for.
  const Evaluation = evaluationSchema(form);

  async function evaluate(name: string) {
    const t = transcripts.get(name)!;
    const lines = t.utterances.map(
      (u) => `[${(u.start / 1000).toFixed(1)}s] ${u.speaker === 'A' ? 'Agent' : 'Customer'}: ${u.text}`,
    );
    const completion = await client.chat.completions.parse({
      model: MODEL,
      temperature: 0,
      messages: [
        {
          role: 'system',
          content:
            'You are a quality-assurance analyst for a call center. Speaker A is the agent unless the transcript labels speakers.',
        },
        {
          role: 'user',
          content: `Criteria:\n\`\`\`json\n${JSON.stringify(form, null, 2)}\n\`\`\`\n\nTranscript:\n${lines.join('\n')}`,
        },
      ],
      response_format: zodResponseFormat(Evaluation, 'call_evaluation'),
    });
    return completion.choices[0]!.message.parsed!;
  }

  it('fills each criterion under its own id and flags an auto-fail only when that criterion fails', async () => {
    for (const sample of SAMPLES) {
      const result = await evaluate(sample.name);
      for (const [i, c] of SAMPLE_CRITERIA.entries()) {
        const verdict = result.criteria[form[i]!.id]!;
        expect(verdict.passed, `${sample.name}/${c.id}`).toBe(
          sample.expected.passes[c.id as keyof typeof sample.expected.passes],
        );
        expect(verdict.auto_fail_triggered).toBe(form[i]!.auto_fail && !verdict.passed);
      }
      expect(result.sentiment.customer).toBe(sample.expected.customerSentiment);
    }
  });

  it('describes the rude call as an escalation with churn risk and compliance gaps', async () => {
    const result = await evaluate('rude-agent');
    expect(result.customer_behavior).toMatchObject({ escalation_requested: true, churn_risk: 'high' });
    expect(result.customer_behavior.emotions).toEqual(expect.arrayContaining(['angry', 'frustrated']));
    expect(result.sentiment).toMatchObject({ agent: 'negative', trajectory: 'worsening' });
    expect(result.compliance.map((c) => [c.requirement, c.met, c.evidence])).toEqual([
      ['Recording disclosure', false, null],
      ['Identity verification', false, null],
    ]);
    expect(result.insights.map((i) => i.type)).toEqual(expect.arrayContaining(['customer', 'compliance', 'coaching']));
    const coaching = result.insights.find((i) => i.type === 'coaching')!;
    expect(coaching.suggestions).toHaveLength(1);
    expect(coaching.category).not.toBe('');
  });
});

describe('OpenAI stand-in: other inputs', () => {
  it('reads an AssemblyAI-style JSON transcript (times in ms)', async () => {
    const t = transcripts.get('tech-support')!;
    const utterances = t.utterances.map(({ speaker, text, start, end }) => ({ speaker, text, start, end }));
    const completion = await client.chat.completions.parse({
      model: MODEL,
      messages: [
        { role: 'system', content: `Criteria:\n${JSON.stringify({ criteria: SAMPLE_CRITERIA })}` },
        { role: 'user', content: `Transcript:\n${JSON.stringify({ utterances })}` },
      ],
      response_format: zodResponseFormat(CallScore, 'call_score'),
    });
    const parsed = completion.choices[0]!.message.parsed!;
    expect(parsed.criteria.find((c) => c.criterion_id === 'recording_disclosure')!.passed).toBe(false);
    const verification = parsed.criteria.find((c) => c.criterion_id === 'identity_verification')!;
    expect(verification.evidence[0]!.start_seconds).toBeCloseTo(t.utterances[2]!.start / 1000, 2);
  });

  it('fills a non-strict schema with records, tuples, unions and multipleOf', async () => {
    const Loose = z.object({
      scores: z.record(z.string(), z.number().min(0).max(10)),
      pair: z.tuple([z.string(), z.number().int()]),
      merged: z.intersection(z.object({ a: z.string() }), z.object({ b: z.boolean() })),
      choice: z.union([
        z.object({ kind: z.literal('x'), n: z.number() }),
        z.object({ kind: z.literal('y'), s: z.string() }),
      ]),
      maybe: z.string().optional(),
      words: z
        .array(z.enum(['a', 'b', 'c']))
        .min(2)
        .max(3),
      short: z.string().min(5).max(8),
      count: z.number().int().positive().multipleOf(5),
    });
    for (const content of [
      'Please answer in JSON.',
      'Transcript:\n[1.0s] Agent: Thanks for calling Acme.\n[3.0s] Customer: My order never arrived.',
    ]) {
      const completion = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'loose',
            schema: z.toJSONSchema(Loose, { target: 'draft-7' }) as Record<string, unknown>,
          },
        },
      });
      expect(Loose.safeParse(JSON.parse(completion.choices[0]!.message.content!)).error).toBeUndefined();
    }
  });
});

describe('OpenAI stand-in: error paths', () => {
  it('refuses on [[refuse]]', async () => {
    const completion = await score('billing-verified', '\n[[refuse]]');
    const message = completion.choices[0]!.message;
    expect(message.refusal).toBe("I can't help with that.");
    expect(message.content).toBeNull();
    expect(message.parsed).toBeNull();
  });

  it('stops at the length limit on [[truncate]], and the SDK throws', async () => {
    await expect(score('billing-verified', '\n[[truncate]]')).rejects.toBeInstanceOf(LengthFinishReasonError);
    const raw = await client.chat.completions.create({
      model: MODEL,
      messages: messages(transcripts.get('billing-verified')!),
      response_format: zodResponseFormat(CallScore, 'call_score'),
      max_completion_tokens: 20,
    });
    expect(raw.choices[0]!.finish_reason).toBe('length');
    expect(raw.choices[0]!.message.content!.length).toBeLessThanOrEqual(80);
  });

  it('answers schema-violating JSON on [[invalid]]', async () => {
    await expect(score('billing-verified', '\n[[invalid]]')).rejects.toThrow(/criteria|expected/i);
  });

  it('fails with 500 or 429 under httpErrorRate 1, counting every attempt', async () => {
    openai.configure({ httpErrorRate: 1 });
    const error = await score('tech-support').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect([429, 500]).toContain((error as APIError).status);
    expect((error as APIError).error).toMatchObject({ type: expect.any(String), param: null });
    const retrying = new OpenAI({ apiKey: API_KEY, baseURL: openai.url, maxRetries: 1 });
    await expect(
      retrying.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(APIError);
    expect(openai.stats()).toEqual({ completions: 0, httpErrors: 3 });
  });

  it('checks the Bearer key', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong-key-123456', baseURL: openai.url, maxRetries: 0 });
    const error = await wrong.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).code).toBe('invalid_api_key');
    expect((error as AuthenticationError).message).not.toContain('sk-wrong-key-123456');
  });

  it('rejects malformed requests and non-strict schemas with invalid_request_error', async () => {
    const missing = await client.chat.completions.create({ model: MODEL } as never).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BadRequestError);
    expect((missing as BadRequestError).error).toMatchObject({ type: 'invalid_request_error', param: 'messages' });

    const res = await fetch(`${openai.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        messages: [{ role: 'user', content: 'x' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'loose',
            strict: true,
            schema: {
              type: 'object',
              properties: { a: { type: 'string' }, b: { type: 'number' } },
              required: ['a'],
              additionalProperties: false,
            },
          },
        },
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.message).toContain("Missing 'b'");
    expect(body.error.code).toBe('invalid_json_schema');

    const garbage = await fetch(`${openai.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}` },
      body: '{not json',
    });
    expect(garbage.status).toBe(400);
  });
});

describe('OpenAI stand-in: other answers', () => {
  it('answers in plain text without response_format', async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: messages(transcripts.get('billing-verified')!),
    });
    const text = completion.choices[0]!.message.content!;
    expect(text).toMatch(/^The customer called Northwind Utilities about a billing issue/);
    expect(text).toContain('Overall score:');
    const plain = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(plain.choices[0]!.message.content).toBeTruthy();
  });

  it('takes behaviour changes and reports counters over HTTP', async () => {
    const origin = openai.url.replace(/\/v1$/, '');
    const config = await fetch(`${origin}/__config`, { method: 'POST', body: JSON.stringify({ latencyMs: 5 }) });
    expect(await config.json()).toEqual({ latencyMs: 5, httpErrorRate: 0, apiKeyRequired: true });
    await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(await (await fetch(`${origin}/__stats`)).json()).toEqual({ completions: 1, httpErrors: 0 });
  });
});

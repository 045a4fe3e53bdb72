/**
 * The queue consumer through its public surface, the Worker's `queue` handler: batches of
 * messages, each settled (acked or retried) on its own, run concurrently.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/env';
import { backoffSeconds, DEAD_LETTER_QUEUE } from '../../src/pipeline/consumer';
import type { PipelineMessage } from '../../src/pipeline/messages';
import { asTenant, deliver, IDS, logLines, transcriptInsert } from './helpers';

const AGENT = IDS['agent@acme.test']!;

/** A call of acme's in `status`; with `transcript`, a one-line transcript of that text. */
async function callIn(status: string, transcript?: string): Promise<string> {
  const id = crypto.randomUUID();
  await asTenant('acme', 'system:pipeline', 'system', [
    {
      query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key, tags)
              values ($1, 'acme', $2, 'upload', $3, $4, array['pipeline-test'])`,
      params: [id, AGENT, status, `acme/calls/${id}/audio`],
    },
    ...(transcript === undefined ? [] : [transcriptInsert('acme', id, transcript)]),
  ]);
  return id;
}

async function callState(id: string) {
  const [calls, evaluations] = await asTenant('acme', 'system:pipeline', 'system', [
    { query: 'select status, failure_reason from calls where id = $1', params: [id] },
    {
      query: `select count(*)::int as n from evaluations where call_id = $1 and run_key = 'pipeline'`,
      params: [id],
    },
  ]);
  const call = calls![0]!;
  return {
    status: call.status as string,
    reason: call.failure_reason as string | null,
    evaluations: evaluations![0]!.n as number,
  };
}

const evaluate = (callId: string): PipelineMessage => ({
  step: 'evaluate',
  tenant_id: 'acme',
  call_id: callId,
  run_key: 'pipeline',
});

afterEach(() => vi.restoreAllMocks());

describe('pipeline throughput', () => {
  it("pipeline throughput: a batch's messages run concurrently, not one after another", async () => {
    // Each evaluation waits 1.5 s at the OpenAI stand-in ([[slow]]): one at a time, six take 9 s.
    const ids = await Promise.all(
      Array.from({ length: 6 }, () =>
        callIn('transcribed', 'Hello, thank you for calling, how can I help you today? [[slow]]'),
      ),
    );
    const { result, elapsedMs, ids: msgIds } = await deliver('qa-pipeline', ids.map(evaluate));

    expect(result.retryMessages, 'every evaluation succeeded').toEqual([]);
    expect([...result.explicitAcks].sort()).toEqual([...msgIds].sort());
    expect(elapsedMs, 'six slow evaluations one after another take at least 9 s').toBeLessThan(6_000);
    for (const id of ids) expect(await callState(id)).toMatchObject({ status: 'completed', evaluations: 1 });
  });

  it('pipeline throughput: one failing message is retried alone; the others in its batch are acked', async () => {
    const scored = await callIn('transcribed', 'Good morning, you are speaking with Ana, how can I help?');
    const notSubmitted = await callIn('transcribing'); // collect fails: nothing submitted yet (transient)
    const noTranscript = await callIn('transcribed'); // evaluate fails for good: no transcript
    const bodies: PipelineMessage[] = [
      evaluate(scored),
      { step: 'collect', tenant_id: 'acme', call_id: notSubmitted, via: 'poll', poll: 1 },
      evaluate(noTranscript),
      { step: 'purge', tenant_id: 'acme', key: `acme/calls/${crypto.randomUUID()}/audio` },
      evaluate(scored), // a duplicate in the same batch
    ];
    const { value, lines } = await logLines(() => deliver('qa-pipeline', bodies));
    const { ids, result } = value;

    expect(result.outcome).toBe('ok');
    expect(result.retryBatch.retry, 'the batch as a whole is not retried').toBe(false);
    expect(
      result.retryMessages.map((r) => r.msgId),
      'only the failing message is retried',
    ).toEqual([ids[1]]);
    expect([...result.explicitAcks].sort()).toEqual([ids[0], ids[2], ids[3], ids[4]].sort());

    expect(await callState(scored), 'scored once, duplicate or not').toMatchObject({
      status: 'completed',
      evaluations: 1,
    });
    expect(await callState(notSubmitted)).toMatchObject({ status: 'transcribing', evaluations: 0 });
    const failed = await callState(noTranscript);
    expect(failed).toMatchObject({ status: 'failed', evaluations: 0 });
    expect(failed.reason).toMatch(/no transcript/);

    // structured logs: every message's line names its call, step, attempt and outcome.
    const steps = lines.filter((l) => typeof l.outcome === 'string');
    expect(
      lines.filter((l) => 'unstructured' in l),
      'no free-text lines',
    ).toEqual([]);
    expect(steps.find((l) => l.call_id === notSubmitted)).toMatchObject({
      level: 'warn',
      message: 'pipeline step failed; retrying',
      step: 'collect',
      attempt: 1,
      outcome: 'retry',
      tenant: 'acme',
      actor: 'system:pipeline',
      request_id: ids[1],
      delay_seconds: backoffSeconds(1, loadConfig(env).pipeline.retryBaseSeconds),
      error: { message: 'transcription not submitted yet' },
    });
    expect(steps.find((l) => l.call_id === noTranscript)).toMatchObject({ step: 'evaluate', outcome: 'failed' });
    expect(steps.filter((l) => l.call_id === scored && l.outcome === 'ack')).toHaveLength(2);
  });

  it('pipeline throughput: the dead-letter consumer fails each call of its batch on its own', async () => {
    const a = await callIn('transcribing');
    const b = await callIn('evaluating');
    const done = await callIn('completed');
    const { ids, result } = await deliver(DEAD_LETTER_QUEUE, [
      { step: 'collect', tenant_id: 'acme', call_id: a, via: 'poll', poll: 3 },
      evaluate(b),
      evaluate(done),
    ]);
    expect(result.retryMessages).toEqual([]);
    expect([...result.explicitAcks].sort()).toEqual([...ids].sort());
    expect((await callState(a)).reason).toBe('pipeline gave up at step "collect" after repeated errors');
    expect(await callState(b)).toMatchObject({ status: 'failed' });
    expect(await callState(done), 'a finished call stays finished').toMatchObject({ status: 'completed' });
  });
});

describe('criterion results', () => {
  const rowsOf = (id: string, role = 'system') =>
    asTenant('acme', role === 'system' ? 'system:pipeline' : IDS[`${role}@acme.test`]!, role, [
      {
        query: `select r.evaluation_id, e.run_key, r.agent_id, r.criterion_id, r.score, r.max_points, r.passed, r.current
                  from criterion_results r join evaluations e on e.id = r.evaluation_id
                 where r.call_id = $1 order by e.run_key, r.criterion_id`,
        params: [id],
      },
      { query: 'select results from evaluations where call_id = $1 order by run_key', params: [id] },
    ]);

  it('criterion results: the scoring statement writes one row per criterion; a re-analysis retires the earlier rows, once', async () => {
    const id = await callIn('transcribed', 'Good morning, thank you for calling, my name is Ana. How can I help?');
    await deliver('qa-pipeline', [evaluate(id)]);
    const [first, evaluations] = await rowsOf(id);
    const results = evaluations![0]!.results as { criterion_id: string; score: number; passed: boolean }[];
    expect(first!.length, 'one row per scored criterion').toBe(results.length);
    expect(first!.length).toBeGreaterThan(0);
    for (const r of first!) {
      const scored = results.find((x) => x.criterion_id === r.criterion_id)!;
      expect(r).toMatchObject({ agent_id: AGENT, score: scored.score, passed: scored.passed, current: true });
    }

    // A re-analysis, delivered twice: its rows are current, the pipeline's are retired, nothing doubles.
    const again = { ...evaluate(id), run_key: `reanalysis:${crypto.randomUUID()}` };
    await deliver('qa-pipeline', [again, again]);
    const [after] = await rowsOf(id);
    const byRun = (run: string) => after!.filter((r) => (r.run_key as string).startsWith(run));
    expect(byRun('pipeline').length).toBe(results.length);
    expect(byRun('reanalysis').length, 'the duplicate message wrote nothing').toBe(results.length);
    expect(byRun('pipeline').every((r) => r.current === false)).toBe(true);
    expect(byRun('reanalysis').every((r) => r.current === true)).toBe(true);
  });

  it("criterion results: an agent's context reads its own rows only", async () => {
    const id = await callIn('transcribed', 'Hello, thank you for calling, how can I help you today?');
    await deliver('qa-pipeline', [evaluate(id)]);
    const [asAgent] = await rowsOf(id, 'agent');
    expect(asAgent!.length, 'the call is the agent’s own').toBeGreaterThan(0);
    const [others] = await asTenant('acme', IDS['agent2@acme.test']!, 'agent', [
      { query: 'select count(*)::int as n from criterion_results where call_id = $1', params: [id] },
    ]);
    expect(others![0]!.n, "another agent's context sees none of them").toBe(0);
  });
});

/**
 * A dispute end to end, in workerd with the vendor stand-ins: the pipeline scores an agent's call,
 * the agent disputes its weakest criterion, a manager overturns it, and the call's effective score,
 * the analytics and the AI–human agreement figures move by exactly what the overturn implies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack.ts';
import { loadSampleAudio } from '../../dev/samples/index.ts';
import { acmeManagerAndAgent, api, json, settle, startE2EStack, uploadAudio } from './stack.ts';

let stack: Stack;
let manager: string;
let agent: string;
let agentId: string;

beforeAll(async () => {
  stack = await startE2EStack(2);
  ({ manager, agent, agentId } = await acmeManagerAndAgent(stack));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

type Criterion = { criterion_id: string; max_points: number; score: number; passed: boolean };
type AgreementRow = {
  criterion_id: string;
  n: number;
  sources: { source: string; n: number }[];
  pass_fail: { n: number; exact_agreement: number | null };
  points: { mean_absolute_difference: number | null };
};

const agreementOf = async (criterionId: string) => {
  const body = await json(api(stack, '/api/analytics/ai-agreement', { token: manager }), 200);
  return (body.criteria as AgreementRow[]).find((c) => c.criterion_id === criterionId);
};

describe('a dispute end to end', () => {
  it('the agent disputes its weakest criterion, a manager overturns it, and the figures follow', async () => {
    const callId = await uploadAudio(stack, manager, await loadSampleAudio('tech-support'), {
      direction: 'inbound',
      agent_id: agentId,
    });
    const state = (await settle(stack, manager, [callId])).get(callId);
    expect(state!.status, state!.failure_reason ?? '').toBe('completed');

    // The agent sees its scored call and picks the criterion it lost most points on.
    const detail = await json(api(stack, `/api/calls/${callId}`, { token: agent }), 200);
    const criteria = detail.qa_evaluation.criteria as Criterion[];
    const weakest = [...criteria].sort((a, b) => b.max_points - b.score - (a.max_points - a.score))[0]!;
    expect(weakest.score, 'the sample loses points somewhere').toBeLessThan(weakest.max_points);
    const scoreBefore = detail.call_info.overall_score as number;
    const day = (detail.call_info.started_at ?? detail.call_info.created_at).slice(0, 10) as string;
    const summaryOf = async () =>
      (
        await json(
          api(stack, `/api/analytics/summary?from_date=${day}&to_date=${day}&agent_id=${agentId}`, { token: manager }),
          200,
        )
      ).current as { calls_scored: number; average_score: number };
    const summaryBefore = await summaryOf();
    const agreementBefore = await agreementOf(weakest.criterion_id);

    const dispute = await json(
      api(stack, `/api/calls/${callId}/disputes`, {
        method: 'POST',
        token: agent,
        json: {
          items: [
            { criterion_id: weakest.criterion_id, proposed_score: weakest.max_points, reason: 'I did it at 0:20' },
          ],
        },
      }),
      201,
    );
    expect(dispute.status).toBe('open');
    await json(api(stack, `/api/disputes/${dispute.id}/review`, { method: 'POST', token: manager }), 200);
    const resolved = await json(
      api(stack, `/api/disputes/${dispute.id}/resolve`, {
        method: 'POST',
        token: manager,
        json: {
          items: [{ criterion_id: weakest.criterion_id, decision: 'overturned', comment: 'It is there at 0:20' }],
        },
      }),
      200,
    );
    expect(resolved.status).toBe('resolved');

    // The effective score: the overturned criterion at full points, the rest as the AI scored them.
    const earned = criteria.reduce((n, c) => n + (c.criterion_id === weakest.criterion_id ? c.max_points : c.score), 0);
    const possible = criteria.reduce((n, c) => n + c.max_points, 0);
    const autoFailed = criteria.some((c) => c.criterion_id !== weakest.criterion_id && (c as any).auto_fail_triggered);
    const expected = autoFailed ? 0 : Math.round((100 * earned) / possible);
    const after = await json(api(stack, `/api/calls/${callId}`, { token: agent }), 200);
    expect(after.call_info.overall_score, 'the call’s score of record').toBe(expected);
    expect(expected).toBeGreaterThan(scoreBefore);
    const review = await json(api(stack, `/api/calls/${callId}/review`, { token: manager }), 200);
    const reviewed = review.criteria.find((c: { criterion_id: string }) => c.criterion_id === weakest.criterion_id);
    expect(reviewed.model.score, 'the AI’s score stays beside it').toBe(weakest.score);
    expect(reviewed.human).toMatchObject({ score: weakest.max_points, source: 'dispute', source_id: dispute.id });

    // Analytics: the day's average for the agent moves by the call's change over the calls scored.
    const summaryAfter = await summaryOf();
    expect(summaryAfter.calls_scored).toBe(summaryBefore.calls_scored);
    expect(summaryAfter.average_score).toBeCloseTo(
      summaryBefore.average_score + (expected - scoreBefore) / summaryBefore.calls_scored,
      0,
    );

    // Agreement: one more pair for the criterion, from the dispute, and a disagreement at that.
    const agreementAfter = (await agreementOf(weakest.criterion_id))!;
    expect(agreementAfter.n).toBe((agreementBefore?.n ?? 0) + 1);
    expect(agreementAfter.sources.find((s) => s.source === 'dispute')?.n).toBe(1);
    if (!agreementBefore) {
      expect(agreementAfter.points.mean_absolute_difference).toBe(weakest.max_points - weakest.score);
      expect(agreementAfter.pass_fail.exact_agreement).toBe(weakest.passed ? 1 : 0);
    }
  }, 240_000);
});

/**
 * The coaching loop end to end, in workerd with the vendor stand-ins: an agent's calls fail one
 * criterion, a coaching rule assigns a course, the agent completes it, and the recommendations
 * change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack.ts';
import { loadSampleAudio } from '../../dev/samples/index.ts';
import { acmeManagerAndAgent, api, json, ownerQuery, settle, startE2EStack, uploadAudio } from './stack.ts';

let stack: Stack;
let manager: string;
let agent: string;
let agentId: string;

beforeAll(async () => {
  stack = await startE2EStack(1);
  ({ manager, agent, agentId } = await acmeManagerAndAgent(stack));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Uploads a sample call of the agent's and waits until it is scored. */
async function scoredCall(sample: string) {
  const id = await uploadAudio(stack, manager, await loadSampleAudio(sample), {
    direction: 'inbound',
    agent_id: agentId,
  });
  const state = (await settle(stack, manager, [id])).get(id);
  expect(state!.status, state!.failure_reason ?? '').toBe('completed');
  const detail = await json(api(stack, `/api/calls/${id}`, { token: manager }), 200);
  return detail.qa_evaluation.criteria as { criterion_id: string; passed: boolean }[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const recommendations = () => json(api(stack, `/api/ai-coach/recommendations/${agentId}`, { token: agent }), 200);

describe('the coaching loop end to end', () => {
  it('low scores on one criterion assign a course by rule; completing it changes the recommendations', async () => {
    // The tech-support sample skips the recording disclosure; whichever criterion it fails is the one coached.
    const first = await scoredCall('tech-support');
    const failing = first.find((c) => !c.passed);
    expect(failing, 'the sample fails a criterion').toBeDefined();
    const criterion = failing!.criterion_id;

    const course = await json(
      api(stack, '/api/ai-coach/courses', {
        method: 'POST',
        token: manager,
        json: {
          title: 'Getting the disclosures right',
          category: 'compliance',
          difficulty: 'beginner',
          skills_covered: [criterion],
          status: 'published',
          modules: [
            {
              title: 'Why it matters',
              lessons: [
                { title: 'The rule', type: 'reading', content: { markdown: 'Tell the caller the call is recorded.' } },
                {
                  title: 'Check yourself',
                  type: 'quiz',
                  content: {
                    markdown: 'One question.',
                    questions: [
                      { prompt: 'When do you disclose recording?', options: ['Never', 'At the start'], correct: [1] },
                    ],
                  },
                },
              ],
            },
          ],
        },
      }),
      201,
    );

    const gap = (r: any) => r.skill_gaps.find((g: any) => g.criterion_id === criterion);
    const before = await recommendations();
    expect(gap(before), 'the failed criterion is a skill gap').toMatchObject({ is_gap: true, consecutive_fails: 1 });
    expect(
      before.recommended_courses.map((c: any) => c.id),
      'the course covers the gap',
    ).toContain(course.id);

    await json(
      api(stack, '/api/ai-coach/rules', {
        method: 'POST',
        token: manager,
        json: {
          name: 'Two misses in a row',
          criterion_id: criterion,
          condition: { type: 'consecutive_fails', count: 2 },
          action: { type: 'assign_course', course_id: course.id },
          cooldown_days: 7,
          due_in_days: 7,
        },
      }),
      201,
    );

    // The second failing call makes two in a row: the rule assigns the course.
    const second = await scoredCall('tech-support');
    expect(second.find((c) => c.criterion_id === criterion)?.passed).toBe(false);
    const assignment = await until('the rule assignment', async () => {
      const page = await json(api(stack, '/api/ai-coach/assignments', { token: agent }), 200);
      return page.data.find((a: any) => a.course_id === course.id);
    });
    expect(assignment).toMatchObject({ reason: 'rule', status: 'assigned', agent_id: agentId });
    const [firings] = await ownerQuery<{ n: number }>(
      stack,
      'select count(*)::int as n from coach_rule_firings where agent_id = $1',
      [agentId],
    );
    expect(firings?.n, 'the rule fired once').toBe(1);

    // The agent works through the course; the quiz is scored on the server.
    const content = await json(api(stack, `/api/ai-coach/courses/${course.id}`, { token: agent }), 200);
    const [module] = content.modules;
    const [reading, quiz] = module.lessons;
    expect(quiz.content.questions[0], 'no answers before submitting').not.toHaveProperty('correct');
    const progress = (body: object) =>
      json(
        api(stack, `/api/ai-coach/assignments/${assignment.id}/progress`, { method: 'POST', token: agent, json: body }),
        200,
      );
    await progress({ module_id: module.id, lesson_id: reading.id, progress_type: 'started' });
    await progress({ module_id: module.id, lesson_id: reading.id, progress_type: 'completed' });
    await progress({ module_id: module.id, lesson_id: quiz.id, progress_type: 'quiz_submitted', answers: [[1]] });

    const done = await json(api(stack, `/api/ai-coach/assignments/${assignment.id}/progress`, { token: agent }), 200);
    expect(done.assignment).toMatchObject({ status: 'completed', progress: 1 });
    expect(done.assignment.completed_at).toBeTruthy();

    const after = await recommendations();
    expect(
      after.recommended_courses.map((c: any) => c.id),
      'a completed course is not recommended again',
    ).not.toContain(course.id);
    expect(gap(after).consecutive_fails).toBe(2);

    // A call that gets it right ends the run of misses.
    const third = await scoredCall('billing-verified');
    expect(third.find((c) => c.criterion_id === criterion)?.passed).toBe(true);
    expect(gap(await recommendations()).consecutive_fails).toBe(0);
  }, 240_000);
});

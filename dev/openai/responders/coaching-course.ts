/**
 * `coaching_course`: the course generator's request (`writeCourse` in
 * src/integrations/openai-course-writer.ts). Its user message is
 *
 *     Weaknesses:
 *     ```json
 *     [{ "criterion_id", "name", "category",
 *        "failing_results": [{ "call_id", "evaluation_id", "score", "max_points", "reasoning",
 *                              "evidence": [{ "quote", "start_seconds" }] }] }, ...]
 *     ```
 *
 * and the answer follows the product's `generatedCourseSchema`: one module per weakness with a
 * reading, an example citing the weakness's first quote, an exercise citing its second (or the
 * first again), and a two-question quiz. `[[bad_citation]]` anywhere in the messages adds one
 * citation of a quote the prompt never had, so the product's citation check has something to drop.
 */
import { z } from 'zod';
import {
  type GeneratedCourse,
  generatedCourseSchema,
  type Weakness,
  weaknessBlockSchema,
} from '../../../src/integrations/openai-course-writer.ts';
import { PromptMismatch, type Responder } from './responder.ts';

const USER_MESSAGE = /^Weaknesses:\n```json\n([\s\S]*?)\n```$/;
const BAD_CITATION = '[[bad_citation]]';
export const FABRICATED_QUOTE = 'I never said this on any call.';

export const coachingCourse: Responder = {
  respond(messages) {
    const user = messages.find((m) => m.role === 'user' && USER_MESSAGE.test(m.content));
    const [, block] = USER_MESSAGE.exec(user?.content ?? '') ?? [];
    if (block === undefined) throw new PromptMismatch('no user message with a "Weaknesses:" json block.');
    const parsed = weaknessBlockSchema.safeParse(tryJson(block));
    if (!parsed.success) throw new PromptMismatch(`the weaknesses block: ${z.prettifyError(parsed.error)}`);
    if (!parsed.data.length) throw new PromptMismatch('the weaknesses block is empty.');
    const fabricate = messages.some((m) => m.content.includes(BAD_CITATION));
    return { schema: generatedCourseSchema, answer: course(parsed.data, fabricate) };
  },
};

type Module = GeneratedCourse['modules'][number];
type Citation = Module['lessons'][number]['citations'][number];

function course(weaknesses: Weakness[], fabricate: boolean): GeneratedCourse {
  const modules = weaknesses.map(moduleFor);
  if (fabricate) {
    const example = modules[0]!.lessons.find((l) => l.type === 'example')!;
    const callId = weaknesses[0]!.failing_results[0]?.call_id ?? '00000000-0000-0000-0000-000000000000';
    example.citations.push({ call_id: callId, quote: FABRICATED_QUOTE });
  }
  // Most points lost first: that is where the agent gains most.
  const lost = (w: Weakness) => w.failing_results.reduce((n, r) => n + (r.max_points - r.score), 0);
  const order = weaknesses.map((w, i) => ({ i, lost: lost(w) })).sort((a, b) => b.lost - a.lost || a.i - b.i);
  const names = weaknesses.map((w) => w.name);
  return {
    title: `Coaching: ${names.join(', ')}`,
    description: `Practice built from your own calls on ${names.join(', ')}.`,
    category: weaknesses[0]!.category,
    difficulty: 'beginner',
    estimated_hours: Math.round(weaknesses.length * 0.5 * 100) / 100,
    skills_covered: [...new Set(weaknesses.flatMap((w) => [w.criterion_id, w.category]))],
    modules,
    recommended_modules: order.map(({ i }) => ({
      module_index: i,
      reason: `${weaknesses[i]!.failing_results.length} failing result(s) on ${weaknesses[i]!.name}.`,
    })),
  };
}

function moduleFor(w: Weakness): Module {
  const quotes: Citation[] = w.failing_results.flatMap((r) =>
    r.evidence.map((e) => ({ call_id: r.call_id, quote: e.quote })),
  );
  const first = quotes[0];
  const second = quotes[1] ?? first;
  const reasons = [...new Set(w.failing_results.map((r) => r.reasoning).filter((r): r is string => !!r))];
  const quoteLine = (c: Citation | undefined) => (c ? `> ${c.quote}` : '> (no quote was recorded)');
  return {
    title: `Improving ${w.name}`,
    description: `${w.failing_results.length} recent call(s) fell short on ${w.name}.`,
    criterion_id: w.criterion_id,
    lessons: [
      {
        title: `What good ${w.name} sounds like`,
        type: 'reading',
        markdown: [`# ${w.name}`, '', 'What the reviews found:', ...reasons.map((r) => `- ${r}`)].join('\n'),
        questions: null,
        citations: [],
      },
      {
        title: `An example from your calls`,
        type: 'example',
        markdown: `${quoteLine(first)}\n\nHow could this moment have gone better for the customer?`,
        questions: null,
        citations: first ? [first] : [],
      },
      {
        title: 'Rewrite the moment',
        type: 'exercise',
        markdown: `${quoteLine(second)}\n\nWrite what you would say instead.`,
        questions: null,
        citations: second ? [second] : [],
      },
      {
        title: `Check: ${w.name}`,
        type: 'quiz',
        markdown: `Two questions on ${w.name}.`,
        questions: [
          {
            prompt: `Which part of the call does "${w.name}" judge?`,
            options: [`How the agent handles ${w.name.toLowerCase()}`, 'The length of the hold music'],
            correct: [0],
            explanation: `${w.name} is about what the agent says and does.`,
          },
          {
            prompt: 'What should you do the next time this moment comes up?',
            options: ['Keep doing what you did', 'Apply what this module practised', 'End the call'],
            correct: [1],
            explanation: 'The module practised a better response from your own calls.',
          },
        ],
        citations: [],
      },
    ],
  };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PromptMismatch('the weaknesses block is not valid JSON.');
  }
}

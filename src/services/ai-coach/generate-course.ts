/**
 * A coaching course written by the model from one agent's own failing evaluations, stored as a
 * draft for a manager to review. Three steps, two round trips and one model call:
 *
 * 1. one statement checks the request (the agent, its calls, the weakness areas), gathers the
 *    evidence and charges the day's quota (`generationGrounding`);
 * 2. the model writes the course from that evidence only;
 * 3. every citation is checked against the quotes sent (the rest are dropped and recorded), and
 *    the course, its modules and lessons and the Idempotency-Key answer are stored in one batch.
 *
 * The quota is charged before the model call, so concurrent requests can never spend more model
 * calls than the quota allows; when the model or the store fails, the charge is refunded, so a
 * failure leaves nothing behind.
 */
import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { coachCourses, idempotencyKeys, type DroppedCitation, type LessonCitation } from '../../db/schema';
import { insertLessons, insertModules, type LessonRow, type ModuleRow } from '../../db/statements/coach-courses';
import { generationGrounding, type GroundingResult, refundCharge } from '../../db/statements/coach-generation';
import {
  CourseGenerationRejected,
  type GeneratedCourse,
  type Weakness,
  writeCourse,
} from '../../integrations/openai-course-writer';
import { Conflict, Invalid, NotFound, TooManyRequests, Unavailable } from '../../lib/errors';
import { actorId } from '../../service-context';
import { answerOfWinner, type IdempotentRequest, replayOf, requestFingerprint, storedAnswer } from '../call-intake';
import { tenantOf } from '../scope';
import { skillGaps } from './recommendations';

export interface GenerateCourseInput {
  agentId: string;
  /** Criterion ids or categories; empty: the agent's top skill gaps from the recommendations. */
  weaknessAreas: string[];
  /** Only these calls' evaluations are used; each must be the agent's. */
  callIds?: string[];
  /** Who asked (the course's `created_by`); null for the platform's own rules. */
  requestedBy: string | null;
  /** The same key with the same request answers the first answer, without a second model call. */
  idempotencyKey?: string;
}

export interface RecommendedModule {
  module_id: string;
  position: number;
  title: string;
  criterion_id: string | null;
  reason: string;
}

export interface GeneratedCourseAnswer {
  course_id: string;
  recommended_modules: RecommendedModule[];
  dropped_citations: number;
}

/** How many skill gaps a course is written for when the request names none. */
const DEFAULT_AREAS = 3;

export async function generateCourse(ctx: ServiceContext, input: GenerateCourseInput): Promise<GeneratedCourseAnswer> {
  const tenantId = tenantOf(ctx);
  const callIds = input.callIds ?? [];
  const idempotency: IdempotentRequest | undefined = input.idempotencyKey
    ? {
        key: input.idempotencyKey,
        fingerprint: await requestFingerprint('generateCoachCourse', {
          agent_id: input.agentId,
          weakness_areas: input.weaknessAreas,
          call_ids: callIds,
        }),
      }
    : undefined;

  // With none given, the weakness areas are the recommendations' skill gaps, worst first. An
  // unknown id or a user who is not an agent has none; the grounding answers 422 for it below.
  const areas = input.weaknessAreas.length
    ? input.weaknessAreas
    : await skillGaps(ctx, input.agentId).then(
        (gaps) =>
          gaps
            .filter((c) => c.is_gap)
            .slice(0, DEFAULT_AREAS)
            .map((c) => c.criterion_id),
        (err: unknown) => {
          if (err instanceof NotFound) return [];
          throw err;
        },
      );
  const [stored, grounding] = await ctx.db.run((q) => [
    storedAnswer(q, ctx, idempotency?.key),
    generationGrounding(q, {
      tenantId,
      agentId: input.agentId,
      weaknessAreas: areas,
      callIds,
      idempotency: idempotency ? { actorId: actorId(ctx.actor), key: idempotency.key } : null,
    }),
  ]);
  const g = grounding.rows[0]!;
  if (idempotency && stored && stored[0])
    return replayOf(stored[0], idempotency.fingerprint) as unknown as GeneratedCourseAnswer;
  checkGrounding(g, input, callIds);
  if (!g.charged)
    throw new TooManyRequests(
      `This tenant has reached its limit of ${g.max_calls_per_day ?? '?'} calls today; course generation counts against it.`,
    );

  const refund = () =>
    ctx.db
      .run((q) => [refundCharge(q, tenantId, g.day)])
      .catch((e) => ctx.log.error('refund of a course generation charge failed', { error: e }));

  const weaknesses = weaknessesOf(g.results, g.areas);
  let written: { course: GeneratedCourse; model: string };
  try {
    written = await writeCourse(ctx.config, weaknesses);
  } catch (err) {
    await refund();
    if (err instanceof CourseGenerationRejected) {
      ctx.log.warn('course generation rejected by the model', { agent_id: input.agentId, reason: err.message });
      throw new Unavailable(
        `The course could not be generated: ${err.message.replace(/[.\s]+$/, '')}. Nothing was stored; try again.`,
      );
    }
    ctx.log.error('course generation failed', { agent_id: input.agentId, error: err });
    throw new Unavailable(
      'The model is unavailable, so the course could not be generated. Nothing was stored; try again.',
    );
  }

  const { modules, dropped } = checkedContent(written.course, g.results);
  for (const d of dropped)
    ctx.log.warn('generated course citation dropped', {
      agent_id: input.agentId,
      call_id: d.call_id,
      module: d.module,
      lesson: d.lesson,
      reason: d.reason,
    });

  const courseId = crypto.randomUUID();
  const criterionIds = new Set(weaknesses.map((w) => w.criterion_id));
  const answer: GeneratedCourseAnswer = {
    course_id: courseId,
    recommended_modules: recommended(written.course, modules.moduleRows, criterionIds),
    dropped_citations: dropped.length,
  };
  const c = written.course;
  try {
    await ctx.db.run((q) => [
      q.insert(coachCourses).values({
        id: courseId,
        tenantId,
        title: c.title.trim().slice(0, 200),
        description: c.description.trim().slice(0, 5000) || null,
        category: c.category.trim().slice(0, 64) || 'coaching',
        difficulty: c.difficulty,
        skillsCovered: [...new Set(c.skills_covered.map((s) => s.trim().slice(0, 100)).filter(Boolean))].slice(0, 30),
        estimatedHours: Math.round(c.estimated_hours * 100) / 100,
        status: 'draft',
        source: 'generated',
        generatedFrom: {
          agent_id: input.agentId,
          call_ids: [...new Set(g.results.map((r) => r.call_id))],
          criterion_ids: [...criterionIds],
          evaluation_ids: [...new Set(g.results.map((r) => r.evaluation_id))],
          weakness_areas: g.areas,
          model: written.model,
          dropped_citations: dropped,
        },
        createdBy: input.requestedBy,
      }),
      insertModules(q, tenantId, courseId, modules.moduleRows),
      insertLessons(q, tenantId, courseId, modules.lessonRows),
      idempotency &&
        q.execute(sql`
          insert into ${idempotencyKeys} (tenant_id, actor_id, key, request_hash, status, response)
          values (${tenantId}, ${actorId(ctx.actor)}, ${idempotency.key}, ${idempotency.fingerprint}, 201,
                  ${JSON.stringify(answer)}::jsonb)`),
    ]);
  } catch (err) {
    await refund();
    if (err instanceof Conflict && idempotency) {
      // The same key raced this request and won: answer what it answered, if it was this request.
      const first = await answerOfWinner(ctx, idempotency);
      if (first) return first as unknown as GeneratedCourseAnswer;
    }
    throw err;
  }
  ctx.log.info('coaching course generated', {
    agent_id: input.agentId,
    course_id: courseId,
    modules: modules.moduleRows.length,
    dropped_citations: dropped.length,
  });
  return answer;
}

/** Bad input names its field; checked in the order a caller would fix them. */
function checkGrounding(
  g: {
    agent_found: boolean;
    is_agent: boolean;
    foreign_calls: number[];
    scored: boolean;
    unmatched_areas: number[];
    results: GroundingResult[];
  },
  input: GenerateCourseInput,
  callIds: string[],
) {
  if (!g.agent_found)
    throw new Invalid('No such agent in this tenant.', [{ field: 'agent_id', message: 'does not exist' }]);
  if (!g.is_agent)
    throw new Invalid('Courses are generated for agents only.', [{ field: 'agent_id', message: 'is not an agent' }]);
  if (g.foreign_calls.length)
    throw new Invalid(
      "Every call named must be one of the agent's calls.",
      g.foreign_calls.map((i) => ({ field: `call_ids.${i}`, message: "is not one of this agent's calls" })),
    );
  if (!g.scored)
    throw new Invalid('The agent has no scored calls to write a course from.', [
      { field: 'agent_id', message: 'has no scored calls' },
    ]);
  if (g.unmatched_areas.length)
    throw new Invalid(
      "Every weakness area must be a criterion id or category of the agent's scored calls.",
      g.unmatched_areas.map((i) => ({
        field: `weakness_areas.${i}`,
        message: "matches no criterion or category of the agent's scored calls",
      })),
    );
  if (!g.results.length) {
    const field = callIds.length ? 'call_ids' : input.weaknessAreas.length ? 'weakness_areas' : 'agent_id';
    throw new Invalid('There is no failing result to write a course from.', [
      {
        field,
        message: callIds.length
          ? 'these calls have no failing results for the weakness areas'
          : input.weaknessAreas.length
            ? 'the agent has no failing results for these weakness areas'
            : 'the agent has no skill gaps with failing results in the last 90 days',
      },
    ]);
  }
}

/** The prompt's weaknesses: one per criterion, in the order of the weakness areas, results newest first. */
function weaknessesOf(results: GroundingResult[], areas: string[]): Weakness[] {
  const rank = (r: GroundingResult) => {
    const i = areas.findIndex((a) => a === r.criterion_id || a === r.category);
    return i === -1 ? areas.length : i;
  };
  const byCriterion = new Map<string, { rank: number; weakness: Weakness }>();
  for (const r of results) {
    let entry = byCriterion.get(r.criterion_id);
    if (!entry) {
      entry = {
        rank: rank(r),
        weakness: { criterion_id: r.criterion_id, name: r.criterion_name, category: r.category, failing_results: [] },
      };
      byCriterion.set(r.criterion_id, entry);
    }
    entry.weakness.failing_results.push({
      call_id: r.call_id,
      evaluation_id: r.evaluation_id,
      score: r.score,
      max_points: r.max_points,
      reasoning: r.reasoning,
      evidence: r.evidence.map((e) => ({ quote: e.quote, start_seconds: e.start_seconds })),
    });
  }
  return [...byCriterion.values()]
    .sort((a, b) => a.rank - b.rank || a.weakness.criterion_id.localeCompare(b.weakness.criterion_id))
    .map((e) => e.weakness);
}

/** Whitespace runs as one space, and the quotation marks a model may wrap a quote in removed. */
const normalised = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'\u201c\u201d\u2018\u2019]+|["'\u201c\u201d\u2018\u2019]+$/g, '')
    .trim();

/** A fragment shorter than this must be a whole quote: "I" is inside every quote, and proves nothing. */
const MIN_FRAGMENT = 12;

/**
 * The content to store, each citation kept only when it is one of the quotes sent for that call
 * (or a verbatim part of one); a kept citation carries the quote's time. Every drop is returned.
 */
export function checkCitations(
  course: GeneratedCourse,
  results: Pick<GroundingResult, 'call_id' | 'evidence'>[],
): { lessons: LessonCitation[][][]; dropped: DroppedCitation[] } {
  const sent = new Map<string, { quote: string; start_seconds: number | null }[]>();
  for (const r of results)
    for (const e of r.evidence) {
      const list = sent.get(r.call_id) ?? [];
      list.push({ quote: normalised(e.quote), start_seconds: e.start_seconds });
      sent.set(r.call_id, list);
    }
  const dropped: DroppedCitation[] = [];
  const lessons = course.modules.map((m, mi) =>
    m.lessons.map((l, li) => {
      const kept: LessonCitation[] = [];
      for (const cited of l.citations) {
        const quote = normalised(cited.quote);
        const quotes = sent.get(cited.call_id);
        const match = quotes?.find(
          (s) => quote !== '' && (s.quote === quote || (quote.length >= MIN_FRAGMENT && s.quote.includes(quote))),
        );
        if (match) kept.push({ call_id: cited.call_id, quote, start_seconds: match.start_seconds });
        else
          dropped.push({
            module: mi,
            lesson: li,
            call_id: cited.call_id,
            quote: cited.quote.slice(0, 500),
            reason: quotes
              ? 'the quote is not among the evidence sent for this call'
              : 'the call was not in the evidence sent',
          });
      }
      return kept;
    }),
  );
  return { lessons, dropped };
}

function checkedContent(course: GeneratedCourse, results: GroundingResult[]) {
  const { lessons: citations, dropped } = checkCitations(course, results);
  const moduleRows: ModuleRow[] = [];
  const lessonRows: LessonRow[] = [];
  course.modules.forEach((m, mi) => {
    const id = crypto.randomUUID();
    moduleRows.push({
      id,
      position: mi,
      title: m.title.trim().slice(0, 200) || `Module ${mi + 1}`,
      description: m.description?.trim().slice(0, 2000) || null,
    });
    m.lessons.forEach((l, li) =>
      lessonRows.push({
        id: crypto.randomUUID(),
        module_id: id,
        position: li,
        title: l.title.trim().slice(0, 200) || `Lesson ${li + 1}`,
        type: l.type,
        content: {
          markdown: l.markdown,
          ...(l.type === 'quiz' && l.questions ? { questions: l.questions } : {}),
          citations: citations[mi]![li]!,
        },
        estimated_minutes: null,
      }),
    );
  });
  return { modules: { moduleRows, lessonRows }, dropped };
}

/** The modules the model recommends taking first, in its order, named by the stored modules' ids. */
function recommended(course: GeneratedCourse, rows: ModuleRow[], criterionIds: Set<string>): RecommendedModule[] {
  const picks = new Map<number, string>();
  for (const r of course.recommended_modules) if (!picks.has(r.module_index)) picks.set(r.module_index, r.reason);
  return [...picks.entries()].map(([i, reason]) => {
    const criterion = course.modules[i]!.criterion_id;
    return {
      module_id: rows[i]!.id,
      position: i,
      title: rows[i]!.title,
      criterion_id: criterionIds.has(criterion) ? criterion : null,
      reason,
    };
  });
}

/** AI coach assignments and progress: who is assigned what, what an agent records, and how it rolls up. */
import { describe, expect, it } from 'vitest';
import { DEMO } from '../../dev/db/demo-ids';
import { translateDatabaseError } from '../../src/db/tenant-db';
import { Conflict } from '../../src/lib/errors';
import { as, asTenant, expectProblem, IDS, json, type Who } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const acmeManager = IDS['manager@acme.test']!;
const agent = IDS['agent@acme.test']!;
const agent2 = IDS['agent2@acme.test']!;
const globexAgent = IDS['agent@globex.test']!;
const today = () => new Date().toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Two modules: a reading and an example, then a quiz of two questions (the second multiple choice). */
function courseBody(overrides: Record<string, unknown> = {}) {
  return {
    title: `Assigned ${uniq()}`,
    category: `assign_${uniq()}`,
    difficulty: 'beginner',
    status: 'published',
    modules: [
      {
        title: 'Read',
        lessons: [
          { title: 'Why', type: 'reading', content: { markdown: '# Why' } },
          { title: 'How', type: 'example', content: { markdown: '> Like this' } },
        ],
      },
      {
        title: 'Check',
        lessons: [
          {
            title: 'Quiz',
            type: 'quiz',
            content: {
              markdown: 'Answer both.',
              questions: [
                { prompt: 'Q0', options: ['a', 'b', 'c'], correct: [1], explanation: 'B is kind.' },
                { prompt: 'Q1', options: ['a', 'b', 'c', 'd'], correct: [0, 2], explanation: 'A and C together.' },
              ],
            },
          },
        ],
      },
    ],
    ...overrides,
  };
}

type Course = {
  id: string;
  title: string;
  category: string;
  modules: { id: string; lessons: { id: string; type: string }[] }[];
};

async function createCourse(overrides: Record<string, unknown> = {}, who: Who = 'acme_manager'): Promise<Course> {
  const res = await as(who, '/api/ai-coach/courses', { method: 'POST', body: courseBody(overrides) });
  const body = await json(res);
  expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(201);
  return body;
}

/** The course's lessons as [module_id, lesson_id]: reading, example, quiz. */
const lessonsOf = (c: Course) => c.modules.flatMap((m) => m.lessons.map((l) => ({ module_id: m.id, lesson_id: l.id })));

async function assign(
  courseId: string,
  agentIds: string[],
  extra: Record<string, unknown> = {},
  who: Who = 'acme_manager',
) {
  const res = await as(who, '/api/ai-coach/assignments', {
    method: 'POST',
    body: { course_id: courseId, agent_ids: agentIds, ...extra },
  });
  const body = await json(res);
  expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(201);
  return body as { created: any[]; already_assigned: { agent_id: string; assignment_id: string }[] };
}

async function assignOne(courseId: string, agentId = agent, extra: Record<string, unknown> = {}) {
  const { created } = await assign(courseId, [agentId], extra);
  expect(created).toHaveLength(1);
  return created[0];
}

const post = (who: Who, assignmentId: string, body: Record<string, unknown>) =>
  as(who, `/api/ai-coach/assignments/${assignmentId}/progress`, { method: 'POST', body });

async function record(who: Who, assignmentId: string, body: Record<string, unknown>) {
  const res = await post(who, assignmentId, body);
  const out = await json(res);
  expect(res.status, JSON.stringify(out).slice(0, 300)).toBe(200);
  return out;
}

async function assignmentRows(courseId: string) {
  const [rows] = await asTenant('acme', acmeManager, 'manager', [
    { query: 'select agent_id, status from coach_assignments where course_id = $1', params: [courseId] },
  ]);
  return rows!;
}

describe('AI coach assignments: creating and listing', () => {
  it('assigns a course to agents as the manager, pinned to the course version, and lists it', async () => {
    const course = await createCourse();
    const due = dayOffset(7);
    const { created, already_assigned } = await assign(course.id, [agent, agent2], { due_date: due, priority: 'high' });
    expect(already_assigned).toEqual([]);
    expect(
      created.map((a) => a.agent_id),
      'in the order asked',
    ).toEqual([agent, agent2]);
    expect(created[0]).toMatchObject({
      course_id: course.id,
      course_version: 1,
      assigned_by: acmeManager,
      due_date: due,
      priority: 'high',
      reason: 'manual',
      status: 'assigned',
      progress: 0,
      score_scaled: null,
      started_at: null,
      completed_at: null,
    });

    const page = await json(await as('acme_manager', `/api/ai-coach/assignments?course_id=${course.id}&limit=1`));
    expect(page.pagination).toEqual({ page: 1, limit: 1, total: 2, total_pages: 2 });
    const byAgent = await json(
      await as('acme_manager', `/api/ai-coach/assignments?course_id=${course.id}&agent_id=${agent2}`),
    );
    expect(byAgent.data.map((a: any) => a.id)).toEqual([created[1].id]);
    const read = await json(await as('acme_manager', `/api/ai-coach/assignments/${created[0].id}`));
    expect(read).toEqual(created[0]);
  });

  it('filters by status, due date and team; an open assignment past its due date is overdue', async () => {
    const course = await createCourse();
    const a1 = await assignOne(course.id, agent, { due_date: dayOffset(3) });
    const a2 = await assignOne(course.id, agent2, { due_date: dayOffset(10) });
    // A due date in the past cannot be set through the API; the database can hold one from yesterday.
    await asTenant('acme', acmeManager, 'manager', [
      { query: `update coach_assignments set due_date = current_date - 2 where id = $1`, params: [a1.id] },
    ]);
    const list = (q: string) =>
      as('acme_manager', `/api/ai-coach/assignments?course_id=${course.id}&${q}`)
        .then(json)
        .then((p) => p.data.map((a: any) => a.id));
    expect(await list('status=overdue')).toEqual([a1.id]);
    expect(await list('status=assigned'), 'an overdue one is not listed as assigned').toEqual([a2.id]);
    expect((await json(await as('acme_manager', `/api/ai-coach/assignments/${a1.id}`))).status).toBe('overdue');
    expect(await list(`due_before=${today()}`)).toEqual([a1.id]);
    expect(await list(`due_after=${today()}`)).toEqual([a2.id]);
    expect(await list(`due_date=${dayOffset(10)}`)).toEqual([a2.id]);
    expect(await list(`team_id=${DEMO.acme.teams.techTier1}`), 'agent2 is in Tech Tier 1').toEqual([a2.id]);
    expect(await list(`team_id=${DEMO.acme.teams.billingTier1}`)).toEqual([a1.id]);
  });

  it('reports an agent who already holds an open assignment of the course instead of assigning it twice', async () => {
    const course = await createCourse();
    const first = await assignOne(course.id, agent);
    const { created, already_assigned } = await assign(course.id, [agent, agent2]);
    expect(created.map((a) => a.agent_id)).toEqual([agent2]);
    expect(already_assigned).toEqual([{ agent_id: agent, assignment_id: first.id }]);
    expect(await assignmentRows(course.id)).toHaveLength(2);
  });

  it('two concurrent assignments of one course to one agent create one assignment', async () => {
    const course = await createCourse();
    // Two different managers: requests of one user already queue behind each other on its profile row.
    const [x, y] = await Promise.all([
      assign(course.id, [agent], {}, 'acme_manager'),
      assign(course.id, [agent], {}, 'acme_admin'),
    ]);
    expect(x.created.length + y.created.length, 'exactly one created').toBe(1);
    const made = [...x.created, ...y.created][0];
    expect([...x.already_assigned, ...y.already_assigned]).toEqual([{ agent_id: agent, assignment_id: made.id }]);
    expect(await assignmentRows(course.id)).toEqual([{ agent_id: agent, status: 'assigned' }]);
  });

  it('after a cancellation the agent can be assigned the course again', async () => {
    const course = await createCourse();
    const first = await assignOne(course.id);
    const cancelled = await json(
      await as('acme_manager', `/api/ai-coach/assignments/${first.id}`, {
        method: 'PUT',
        body: { status: 'cancelled' },
      }),
    );
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelled_at).toBeTruthy();
    const again = await assignOne(course.id);
    expect(again.id).not.toBe(first.id);
  });

  it('a manager changes the due date and priority of an open assignment', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const res = await as('acme_manager', `/api/ai-coach/assignments/${a.id}`, {
      method: 'PUT',
      body: { due_date: dayOffset(30), priority: 'low' },
    });
    expect(await json(res)).toMatchObject({ id: a.id, due_date: dayOffset(30), priority: 'low', status: 'assigned' });
    const cleared = await json(
      await as('acme_manager', `/api/ai-coach/assignments/${a.id}`, { method: 'PUT', body: { due_date: null } }),
    );
    expect(cleared.due_date).toBeNull();
  });
});

describe('AI coach assignments: bad input', () => {
  async function expectNothingCreated(body: Record<string, unknown>, status: number, field?: string) {
    const problem = await expectProblem(
      await as('acme_manager', '/api/ai-coach/assignments', { method: 'POST', body }),
      status,
    );
    if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
    if (typeof body.course_id === 'string')
      expect(await assignmentRows(body.course_id), 'nothing was created').toEqual([]);
    return problem;
  }

  it('an unknown agent, another tenant’s agent or a non-agent is 422 at its index, and nobody is assigned', async () => {
    const course = await createCourse();
    const problem = await expectNothingCreated(
      { course_id: course.id, agent_ids: [agent, crypto.randomUUID(), acmeManager, globexAgent] },
      422,
    );
    expect(problem.errors).toEqual([
      { field: 'agent_ids.1', message: 'is not a user of this tenant' },
      { field: 'agent_ids.2', message: 'is not an agent (role manager)' },
      { field: 'agent_ids.3', message: 'is not a user of this tenant' },
    ]);
  });

  it('an inactive agent is 422 and nobody is assigned', async () => {
    const made = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: { email: `gone-${uniq()}@acme.test`, first_name: 'G', last_name: 'One', role: 'agent' },
    });
    expect(made.status).toBe(201);
    const { id } = await json(made);
    const off = await as('acme_manager', `/api/users/${id}`, { method: 'PUT', body: { status: 'inactive' } });
    expect(off.status).toBe(200);
    const course = await createCourse();
    const problem = await expectNothingCreated({ course_id: course.id, agent_ids: [agent, id] }, 422, 'agent_ids.1');
    expect(problem.errors![0]!.message).toContain('not active');
  });

  it('an unknown course is 422 at course_id, an archived one 409', async () => {
    await expectNothingCreated({ course_id: crypto.randomUUID(), agent_ids: [agent] }, 422, 'course_id');
    const course = await createCourse();
    await as('acme_manager', `/api/ai-coach/courses/${course.id}`, { method: 'PUT', body: { status: 'archived' } });
    await expectNothingCreated({ course_id: course.id, agent_ids: [agent] }, 409);
  });

  it.each([
    { name: 'no agents', body: { agent_ids: [] }, field: 'agent_ids' },
    { name: 'an agent named twice', body: { agent_ids: [agent, agent] }, field: 'agent_ids.1' },
    {
      name: 'more than 200 agents',
      body: { agent_ids: Array.from({ length: 201 }, () => crypto.randomUUID()) },
      field: 'agent_ids',
    },
    { name: 'a due date in the past', body: { agent_ids: [agent], due_date: dayOffset(-1) }, field: 'due_date' },
    { name: 'a due date that does not exist', body: { agent_ids: [agent], due_date: '2030-02-30' }, field: 'due_date' },
    { name: 'an unknown priority', body: { agent_ids: [agent], priority: 'urgent' }, field: 'priority' },
    { name: 'a smuggled status', body: { agent_ids: [agent], status: 'completed' }, field: 'status' },
  ])('$name is 422 at $field and creates nothing', async ({ body, field }) => {
    const course = await createCourse();
    await expectNothingCreated({ course_id: course.id, ...body }, 422, field);
  });

  it('an agent cannot assign or change an assignment', async () => {
    const course = await createCourse();
    await expectProblem(
      await as('acme_agent', '/api/ai-coach/assignments', {
        method: 'POST',
        body: { course_id: course.id, agent_ids: [agent] },
      }),
      403,
    );
    const a = await assignOne(course.id);
    await expectProblem(
      await as('acme_agent', `/api/ai-coach/assignments/${a.id}`, { method: 'PUT', body: { status: 'cancelled' } }),
      403,
    );
  });
});

describe('AI coach assignments: what an agent sees', () => {
  it('an agent lists and reads only its own assignments and progress', async () => {
    const course = await createCourse();
    const { created } = await assign(course.id, [agent, agent2]);
    const [mine, theirs] = created;
    const list = await json(await as('acme_agent', `/api/ai-coach/assignments?course_id=${course.id}`));
    expect(list.data.map((a: any) => a.id)).toEqual([mine.id]);
    const asking = await json(await as('acme_agent', `/api/ai-coach/assignments?agent_id=${agent2}`));
    expect(asking.data, "asking for another agent's shows none").toEqual([]);
    await expectProblem(await as('acme_agent', `/api/ai-coach/assignments/${theirs.id}`), 404);
    await expectProblem(await as('acme_agent', `/api/ai-coach/assignments/${theirs.id}/progress`), 404);
    const [first] = lessonsOf(course);
    await expectProblem(await post('acme_agent', theirs.id, { ...first, progress_type: 'started' }), 404);
    expect((await as('acme_agent', `/api/ai-coach/assignments/${mine.id}/progress`)).status).toBe(200);
  });

  it("as qa_app, an agent's context reads, changes and writes no other agent's assignment or progress", async () => {
    const course = await createCourse();
    const { created } = await assign(course.id, [agent, agent2]);
    const theirs = created.find((a) => a.agent_id === agent2)!;
    const [first] = lessonsOf(course);
    await record('acme_agent2', theirs.id, { ...first!, progress_type: 'started' });

    const [assignments, progress, updated, deleted] = await asTenant('acme', agent, 'agent', [
      { query: 'select id from coach_assignments where course_id = $1', params: [course.id] },
      { query: 'select lesson_id from coach_progress where assignment_id = $1', params: [theirs.id] },
      { query: "update coach_assignments set priority = 'low' where id = $1 returning id", params: [theirs.id] },
      { query: 'delete from coach_progress where assignment_id = $1 returning lesson_id', params: [theirs.id] },
    ]);
    expect(
      assignments!.map((r) => r.id),
      'only its own',
    ).toEqual([created.find((a) => a.agent_id === agent)!.id]);
    expect(progress).toEqual([]);
    expect(updated).toEqual([]);
    expect(deleted).toEqual([]);
    await expect(
      asTenant('acme', agent, 'agent', [
        {
          query: `insert into coach_progress (tenant_id, assignment_id, agent_id, course_id, module_id, lesson_id, status)
                  values ('acme', $1, $2, $3, $4, $5, 'completed')`,
          params: [theirs.id, agent2, course.id, first!.module_id, course.modules[0]!.lessons[1]!.id],
        },
      ]),
      'writing progress in the name of another agent',
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      asTenant('acme', agent, 'agent', [
        {
          query: `insert into coach_assignments (tenant_id, course_id, course_version, agent_id) values ('acme', $1, 1, $2)`,
          params: [course.id, agent2],
        },
      ]),
      'assigning another agent',
    ).rejects.toMatchObject({ code: '42501' });
    const check = await json(await as('acme_manager', `/api/ai-coach/assignments/${theirs.id}/progress`));
    expect(check.assignment.priority, 'unchanged').toBe('normal');
    expect(check.lessons[0].status).toBe('in_progress');
  });

  it('an agent sees an assigned draft course (listed and readable) but not an unassigned draft', async () => {
    const category = `drafts_${uniq()}`;
    const assigned = await createCourse({ category, status: 'draft' });
    const unassigned = await createCourse({ category, status: 'draft' });
    const published = await createCourse({ category });
    await assignOne(assigned.id);
    const list = await json(await as('acme_agent', `/api/ai-coach/courses?category=${category}`));
    expect(list.data.map((c: any) => c.id).sort()).toEqual([assigned.id, published.id].sort());
    expect(list.pagination.total).toBe(2);
    const read = await as('acme_agent', `/api/ai-coach/courses/${assigned.id}`);
    expect(read.status).toBe(200);
    await expectProblem(await as('acme_agent', `/api/ai-coach/courses/${unassigned.id}`), 404);
    await expectProblem(await as('acme_agent2', `/api/ai-coach/courses/${assigned.id}`), 404);

    const mine = await json(await as('acme_agent', `/api/ai-coach/courses?category=${category}&assigned_only=true`));
    expect(mine.data.map((c: any) => c.id)).toEqual([assigned.id]);
    const managers = await json(
      await as('acme_manager', `/api/ai-coach/courses?category=${category}&assigned_only=true`),
    );
    expect(managers.data.map((c: any) => c.id)).toEqual([assigned.id]);
    const none = await json(await as('acme_agent2', `/api/ai-coach/courses?category=${category}&assigned_only=true`));
    expect(none.data).toEqual([]);
  });

  it('a cancelled assignment no longer shows its draft course to the agent', async () => {
    const course = await createCourse({ status: 'draft' });
    const a = await assignOne(course.id);
    expect((await as('acme_agent', `/api/ai-coach/courses/${course.id}`)).status).toBe(200);
    await as('acme_manager', `/api/ai-coach/assignments/${a.id}`, { method: 'PUT', body: { status: 'cancelled' } });
    await expectProblem(await as('acme_agent', `/api/ai-coach/courses/${course.id}`), 404);
  });
});

describe('AI coach progress: recording', () => {
  it('scores a quiz on the server: answers never reach the agent before, and which were right after', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const before = await (await as('acme_agent', `/api/ai-coach/courses/${course.id}`)).text();
    expect(before, 'no answers in the course an agent reads').not.toContain('"correct"');
    expect(before).not.toContain('B is kind.');
    const quiz = lessonsOf(course)[2]!;

    const wrong = await record('acme_agent', a.id, {
      ...quiz,
      progress_type: 'quiz_submitted',
      answers: [[1], [0]],
      score: 1,
    });
    expect(wrong.quiz, 'the client score is ignored').toMatchObject({
      score_scaled: 0.5,
      passed: false,
      pass_mark: 0.8,
      right: 1,
      total: 2,
      questions: [
        { question: 0, right: true, explanation: 'B is kind.' },
        { question: 1, right: false, explanation: 'A and C together.' },
      ],
    });
    expect(JSON.stringify(wrong), 'the correct options are not handed out').not.toContain('"correct"');
    expect(wrong.lesson).toMatchObject({
      status: 'completed',
      success: 'failed',
      score_scaled: 0.5,
      attempts: 1,
      progress: 1,
    });

    const right = await record('acme_agent', a.id, {
      ...quiz,
      progress_type: 'quiz_submitted',
      answers: [[1], [2, 0]],
    });
    expect(right.quiz).toMatchObject({ score_scaled: 1, passed: true, right: 2 });
    expect(right.lesson).toMatchObject({ status: 'completed', success: 'passed', score_scaled: 1, attempts: 2 });

    const worse = await record('acme_agent', a.id, { ...quiz, progress_type: 'quiz_submitted', answers: [[0], [1]] });
    expect(worse.quiz).toMatchObject({ score_scaled: 0, passed: false });
    expect(worse.lesson, 'passed stays passed and the best score is kept').toMatchObject({
      success: 'passed',
      score_scaled: 1,
      attempts: 3,
    });
    expect(worse.assignment).toMatchObject({ status: 'in_progress', score_scaled: 1 });
    expect(worse.assignment.progress).toBeCloseTo(1 / 3, 4);
  });

  it('completion never goes backwards, and time adds up', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const [reading] = lessonsOf(course);
    const started = await record('acme_agent', a.id, { ...reading!, progress_type: 'started' });
    expect(started.lesson).toMatchObject({ status: 'in_progress', progress: 0 });
    expect(started.assignment.status).toBe('in_progress');
    expect(started.assignment.started_at).toBeTruthy();
    const done = await record('acme_agent', a.id, { ...reading!, progress_type: 'completed', score: 0.7 });
    expect(done.lesson).toMatchObject({ status: 'completed', progress: 1, score_scaled: 0.7 });
    const again = await record('acme_agent', a.id, { ...reading!, progress_type: 'started' });
    expect(again.lesson, 'a start after completion leaves it completed').toMatchObject({
      status: 'completed',
      progress: 1,
      completed_at: done.lesson.completed_at,
      started_at: started.lesson.started_at,
    });
    await record('acme_agent', a.id, { ...reading!, progress_type: 'time_spent', seconds: 60 });
    const timed = await record('acme_agent', a.id, { ...reading!, progress_type: 'time_spent', seconds: 30 });
    expect(timed.lesson).toMatchObject({ status: 'completed', time_spent_seconds: 90 });
    const lower = await record('acme_agent', a.id, { ...reading!, progress_type: 'completed', score: 0.2 });
    expect(lower.lesson.score_scaled, 'the best score is kept').toBe(0.7);
    expect(lower.assignment.progress).toBeCloseTo(1 / 3, 4);
    expect(lower.assignment.status).toBe('in_progress');
  });

  it('rolls up to completed with completed_at when every lesson is, then refuses more progress (409)', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const [reading, example, quiz] = lessonsOf(course);
    await record('acme_agent', a.id, { ...reading!, progress_type: 'completed' });
    const two = await record('acme_agent', a.id, { ...example!, progress_type: 'completed' });
    expect(two.assignment).toMatchObject({ status: 'in_progress', completed_at: null });
    const last = await record('acme_agent', a.id, { ...quiz!, progress_type: 'quiz_submitted', answers: [[1], [0]] });
    expect(last.assignment).toMatchObject({ status: 'completed', progress: 1, score_scaled: 0.5 });
    expect(last.assignment.completed_at, 'a failed quiz still completes the lesson').toBeTruthy();

    const progress = await json(await as('acme_agent', `/api/ai-coach/assignments/${a.id}/progress`));
    expect(progress.assignment).toEqual(last.assignment);
    expect(progress.lessons.map((l: any) => [l.lesson_id, l.status, l.success])).toEqual([
      [reading!.lesson_id, 'completed', null],
      [example!.lesson_id, 'completed', null],
      [quiz!.lesson_id, 'completed', 'failed'],
    ]);
    const problem = await expectProblem(await post('acme_agent', a.id, { ...reading!, progress_type: 'started' }), 409);
    expect(problem.detail).toContain('completed');
    await expectProblem(
      await as('acme_manager', `/api/ai-coach/assignments/${a.id}`, { method: 'PUT', body: { status: 'cancelled' } }),
      409,
    );
    const [rows] = await asTenant('acme', acmeManager, 'manager', [
      { query: 'select status, completed_at is not null as done from coach_assignments where id = $1', params: [a.id] },
    ]);
    expect(rows).toEqual([{ status: 'completed', done: true }]);
  });

  it('lists every lesson of the course, not_started where nothing was recorded', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const manager = await json(await as('acme_manager', `/api/ai-coach/assignments/${a.id}/progress`));
    expect(manager.lessons.map((l: any) => [l.type, l.status, l.attempts])).toEqual([
      ['reading', 'not_started', 0],
      ['example', 'not_started', 0],
      ['quiz', 'not_started', 0],
    ]);
    expect(manager.assignment).toMatchObject({ id: a.id, status: 'assigned', progress: 0 });
  });

  it('a module-level start starts the assignment without a lesson row', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const out = await record('acme_agent', a.id, { module_id: course.modules[0]!.id, progress_type: 'started' });
    expect(out.lesson).toBeNull();
    expect(out.assignment.status).toBe('in_progress');
  });

  it('progress on a cancelled assignment is 409 and records nothing', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    await as('acme_manager', `/api/ai-coach/assignments/${a.id}`, { method: 'PUT', body: { status: 'cancelled' } });
    const [reading] = lessonsOf(course);
    const problem = await expectProblem(
      await post('acme_agent', a.id, { ...reading!, progress_type: 'completed' }),
      409,
    );
    expect(problem.detail).toContain('cancelled');
    const progress = await json(await as('acme_manager', `/api/ai-coach/assignments/${a.id}/progress`));
    expect(progress.lessons.every((l: any) => l.status === 'not_started')).toBe(true);
    expect(progress.assignment).toMatchObject({ status: 'cancelled', started_at: null });
  });

  it('a manager cannot record progress (403), another agent gets 404', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const [reading] = lessonsOf(course);
    for (const who of ['acme_manager', 'acme_admin'] as const)
      await expectProblem(await post(who, a.id, { ...reading!, progress_type: 'started' }), 403);
    await expectProblem(await post('acme_agent2', a.id, { ...reading!, progress_type: 'started' }), 404);
    const progress = await json(await as('acme_manager', `/api/ai-coach/assignments/${a.id}/progress`));
    expect(progress.assignment.status, 'nothing was recorded').toBe('assigned');
  });

  it('concurrent progress on one assignment loses no update: every lesson at once still completes it', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    const [reading, example, quiz] = lessonsOf(course);
    // Another transaction holds the assignment row while all three posts arrive, so they overlap
    // for certain: each must wait and then roll up from what the ones before it committed.
    const holder = asTenant('acme', acmeManager, 'manager', [
      { query: 'select id from coach_assignments where id = $1 for update', params: [a.id] },
      { query: 'select pg_sleep(0.7)' },
    ]);
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all([
      record('acme_agent', a.id, { ...reading!, progress_type: 'completed' }),
      record('acme_agent', a.id, { ...example!, progress_type: 'completed' }),
      record('acme_agent', a.id, { ...quiz!, progress_type: 'quiz_submitted', answers: [[1], [0, 2]] }),
      holder,
    ]);
    const progress = await json(await as('acme_agent', `/api/ai-coach/assignments/${a.id}/progress`));
    expect(progress.assignment, 'rolled up from all three lessons').toMatchObject({
      status: 'completed',
      progress: 1,
      score_scaled: 1,
    });
  });
});

describe('AI coach progress: bad input', () => {
  it('a lesson outside the module or a module outside the course is 422 at its field, recording nothing', async () => {
    const course = await createCourse();
    const other = await createCourse();
    const a = await assignOne(course.id);
    const [reading, , quiz] = lessonsOf(course);
    const foreign = lessonsOf(other)[0]!;
    const cases: [Record<string, unknown>, string][] = [
      [{ ...foreign, progress_type: 'completed' }, 'module_id'],
      [{ module_id: reading!.module_id, lesson_id: foreign.lesson_id, progress_type: 'completed' }, 'lesson_id'],
      [{ module_id: reading!.module_id, lesson_id: quiz!.lesson_id, progress_type: 'completed' }, 'lesson_id'],
      [{ ...reading!, progress_type: 'quiz_submitted', answers: [[0]] }, 'progress_type'],
      [{ ...quiz!, progress_type: 'completed' }, 'progress_type'],
      [{ ...quiz!, progress_type: 'quiz_submitted', answers: [[1]] }, 'answers'],
      [{ ...quiz!, progress_type: 'quiz_submitted', answers: [[1], [9]] }, 'answers'],
      [{ ...quiz!, progress_type: 'quiz_submitted' }, 'answers'],
      [{ module_id: quiz!.module_id, progress_type: 'quiz_submitted', answers: [[1], [0]] }, 'lesson_id'],
      [{ module_id: reading!.module_id, progress_type: 'completed' }, 'lesson_id'],
      [{ ...reading!, progress_type: 'time_spent' }, 'seconds'],
      [{ ...reading!, progress_type: 'time_spent', seconds: 86_401 }, 'seconds'],
      [{ ...reading!, progress_type: 'completed', score: 1.5 }, 'score'],
      [{ ...reading!, progress_type: 'finished' }, 'progress_type'],
      [{ ...quiz!, progress_type: 'quiz_submitted', answers: [[1, 1], [0]] }, 'answers.0'],
    ];
    for (const [body, field] of cases) {
      const problem = await expectProblem(await post('acme_agent', a.id, body), 422);
      expect(
        problem.errors?.map((e) => e.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    const progress = await json(await as('acme_manager', `/api/ai-coach/assignments/${a.id}/progress`));
    expect(progress.assignment, 'nothing was recorded').toMatchObject({ status: 'assigned', started_at: null });
    expect(progress.lessons.every((l: any) => l.status === 'not_started')).toBe(true);
  });
});

describe('AI coach courses with assignments', () => {
  it('the content of an assigned course cannot be replaced (409); its metadata and status still change', async () => {
    const course = await createCourse();
    await assignOne(course.id);
    const replace = await as('acme_manager', `/api/ai-coach/courses/${course.id}`, {
      method: 'PUT',
      body: {
        title: 'New',
        modules: [{ title: 'M', lessons: [{ title: 'L', type: 'reading', content: { markdown: 'x' } }] }],
      },
    });
    const problem = await expectProblem(replace, 409);
    expect(problem.detail).toContain('content of a course with assignments cannot be replaced');
    const read = await json(await as('acme_manager', `/api/ai-coach/courses/${course.id}`));
    expect(read, 'unchanged: title, version and content').toMatchObject({ title: course.title, version: 1 });
    expect(read.modules.map((m: any) => m.id)).toEqual(course.modules.map((m) => m.id));
    const renamed = await json(
      await as('acme_manager', `/api/ai-coach/courses/${course.id}`, {
        method: 'PUT',
        body: { title: 'Renamed', status: 'archived' },
      }),
    );
    expect(renamed).toMatchObject({ title: 'Renamed', status: 'archived', version: 1 });
  });

  it('the database keeps lessons with progress: their deletion fails on coach_progress_lesson_fk, answered 409', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    await record('acme_agent', a.id, { ...lessonsOf(course)[0]!, progress_type: 'started' });
    const failure = await asTenant('acme', acmeManager, 'manager', [
      { query: 'delete from coach_modules where course_id = $1', params: [course.id] },
    ]).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure, 'the delete is refused').toMatchObject({ code: '23503', constraint: 'coach_progress_lesson_fk' });
    const translated = translateDatabaseError(failure);
    expect(translated).toBeInstanceOf(Conflict);
    expect(translated.message).toContain('content of a course with assignments cannot be replaced');
  });

  it('a cancelled assignment still fixes the content', async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    await as('acme_manager', `/api/ai-coach/assignments/${a.id}`, { method: 'PUT', body: { status: 'cancelled' } });
    const replace = await as('acme_manager', `/api/ai-coach/courses/${course.id}`, {
      method: 'PUT',
      body: { modules: [{ title: 'M', lessons: [{ title: 'L', type: 'reading', content: { markdown: 'x' } }] }] },
    });
    await expectProblem(replace, 409);
  });

  it('a content replacement racing an assignment either replaces before it or is refused', async () => {
    const course = await createCourse();
    const [replaced, assigned] = await Promise.all([
      as('acme_manager', `/api/ai-coach/courses/${course.id}`, {
        method: 'PUT',
        body: { modules: [{ title: 'M', lessons: [{ title: 'L', type: 'reading', content: { markdown: 'x' } }] }] },
      }),
      assign(course.id, [agent], {}, 'acme_admin'),
    ]);
    const created = assigned.created[0];
    const after = await json(await as('acme_manager', `/api/ai-coach/courses/${course.id}`));
    if (replaced.status === 200) expect(created.course_version, 'assigned the new content').toBe(2);
    else {
      expect(replaced.status).toBe(409);
      expect(created.course_version).toBe(1);
    }
    expect(after.version).toBe(created.course_version);
  });
});

describe('AI coach assignments: tenant isolation', () => {
  it("globex cannot read, change, list or record progress on acme's assignment", async () => {
    const course = await createCourse();
    const a = await assignOne(course.id);
    for (const who of ['globex_manager', 'globex_admin', 'globex_agent'] as const) {
      await expectProblem(await as(who, `/api/ai-coach/assignments/${a.id}`), 404);
      await expectProblem(await as(who, `/api/ai-coach/assignments/${a.id}/progress`), 404);
      const list = await json(await as(who, `/api/ai-coach/assignments?course_id=${course.id}`));
      expect(list.data).toEqual([]);
    }
    await expectProblem(
      await as('globex_manager', `/api/ai-coach/assignments/${a.id}`, { method: 'PUT', body: { status: 'cancelled' } }),
      404,
    );
    const [reading] = lessonsOf(course);
    await expectProblem(await post('globex_agent', a.id, { ...reading!, progress_type: 'completed' }), 404);
    const problem = await expectProblem(
      await as('globex_manager', '/api/ai-coach/assignments', {
        method: 'POST',
        body: { course_id: course.id, agent_ids: [globexAgent] },
      }),
      422,
    );
    expect(problem.errors?.map((e) => e.field)).toEqual(['course_id']);
    const globexCourse = await createCourse({}, 'globex_manager');
    const acmeAgent = await expectProblem(
      await as('globex_manager', '/api/ai-coach/assignments', {
        method: 'POST',
        body: { course_id: globexCourse.id, agent_ids: [agent] },
      }),
      422,
    );
    expect(acmeAgent.errors).toEqual([{ field: 'agent_ids.0', message: 'is not a user of this tenant' }]);
    const read = await json(await as('acme_manager', `/api/ai-coach/assignments/${a.id}`));
    expect(read).toMatchObject({ status: 'assigned', progress: 0 });
  });
});

/** AI coach courses: writing a course with its content in one request, and who reads what of it. */
import { describe, expect, it } from 'vitest';
import { as, asTenant, expectProblem, IDS, json, runtimeSql, type Who } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const acmeManager = IDS['manager@acme.test']!;

function courseBody(overrides: Record<string, unknown> = {}) {
  return {
    title: `Empathy ${uniq()}`,
    description: 'Acknowledge before you solve.',
    category: 'soft_skills',
    difficulty: 'beginner',
    skills_covered: ['empathy', 'Customer Service'],
    estimated_hours: 1.5,
    modules: [
      {
        title: 'Hearing the customer',
        lessons: [
          { title: 'Why it matters', type: 'reading', content: { markdown: '# Listen first' } },
          { title: 'A good call', type: 'example', content: { markdown: '> I understand how that feels.' } },
        ],
      },
      {
        title: 'Check yourself',
        description: 'A short quiz',
        lessons: [
          {
            title: 'Quiz',
            type: 'quiz',
            content: {
              markdown: 'Pick the empathetic answer.',
              questions: [
                {
                  prompt: 'The customer is upset. You say:',
                  options: ['Calm down.', 'I understand, let me help.', 'Not my problem.'],
                  correct: [1],
                  explanation: 'Acknowledge, then act.',
                },
              ],
            },
          },
        ],
      },
    ],
    ...overrides,
  };
}

async function create(who: Who, overrides: Record<string, unknown> = {}) {
  const res = await as(who, '/api/ai-coach/courses', { method: 'POST', body: courseBody(overrides) });
  const body = await json(res);
  expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(201);
  return body;
}

async function rowsOf(tenant: string, courseId: string) {
  const [courses, modules, lessons] = await asTenant(tenant, acmeManager, 'manager', [
    { query: 'select count(*)::int as n from coach_courses where id = $1', params: [courseId] },
    { query: 'select count(*)::int as n from coach_modules where course_id = $1', params: [courseId] },
    { query: 'select count(*)::int as n from coach_lessons where course_id = $1', params: [courseId] },
  ]);
  return { courses: courses![0]!.n, modules: modules![0]!.n, lessons: lessons![0]!.n };
}

describe('AI coach courses: happy paths', () => {
  it('creates a course with its modules and lessons in order, as a draft at version 1', async () => {
    const course = await create('acme_manager');
    expect(course).toMatchObject({
      category: 'soft_skills',
      difficulty: 'beginner',
      skills_covered: ['empathy', 'Customer Service'],
      estimated_hours: 1.5,
      status: 'draft',
      source: 'manual',
      generated_from: null,
      version: 1,
    });
    expect(course.modules.map((m: any) => [m.position, m.title])).toEqual([
      [0, 'Hearing the customer'],
      [1, 'Check yourself'],
    ]);
    expect(course.modules[0].lessons.map((l: any) => [l.position, l.type])).toEqual([
      [0, 'reading'],
      [1, 'example'],
    ]);
    const read = await json(await as('acme_manager', `/api/ai-coach/courses/${course.id}`));
    expect(read, 'what was written is what is read').toEqual(course);
    expect(read.modules[1].lessons[0].content.questions[0]).toMatchObject({
      correct: [1],
      explanation: 'Acknowledge, then act.',
    });
  });

  it('lists courses paginated, filtered by category and difficulty', async () => {
    const category = `cat_${uniq()}`;
    await create('acme_manager', { category, difficulty: 'advanced' });
    await create('acme_manager', { category, difficulty: 'beginner' });
    await create('acme_manager', { category, difficulty: 'beginner' });
    const page = await json(await as('acme_manager', `/api/ai-coach/courses?category=${category}&limit=2`));
    expect(page.pagination).toEqual({ page: 1, limit: 2, total: 3, total_pages: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.data[0].modules, 'the list carries no content').toBeUndefined();
    const beginners = await json(
      await as('acme_manager', `/api/ai-coach/courses?category=${category}&difficulty=beginner`),
    );
    expect(beginners.pagination.total).toBe(2);
    expect(beginners.data.every((c: any) => c.difficulty === 'beginner')).toBe(true);
  });

  it('changes metadata without a new version, and content with one', async () => {
    const course = await create('acme_manager');
    const renamed = await json(
      await as('acme_manager', `/api/ai-coach/courses/${course.id}`, {
        method: 'PUT',
        body: { title: 'Renamed', status: 'published' },
      }),
    );
    expect(renamed).toMatchObject({ title: 'Renamed', status: 'published', version: 1 });
    expect(
      renamed.modules.map((m: any) => m.id),
      'content untouched',
    ).toEqual(course.modules.map((m: any) => m.id));

    const replaced = await json(
      await as('acme_manager', `/api/ai-coach/courses/${course.id}`, {
        method: 'PUT',
        body: {
          modules: [
            {
              title: 'Only module',
              lessons: [{ title: 'Roleplay', type: 'roleplay', content: { markdown: 'Play it' } }],
            },
          ],
        },
      }),
    );
    expect(replaced).toMatchObject({ title: 'Renamed', version: 2 });
    expect(replaced.modules).toHaveLength(1);
    const read = await json(await as('acme_manager', `/api/ai-coach/courses/${course.id}`));
    expect(read).toEqual(replaced);
    expect(await rowsOf('acme', course.id), 'the old modules and lessons are gone').toEqual({
      courses: 1,
      modules: 1,
      lessons: 1,
    });

    const archived = await json(
      await as('acme_manager', `/api/ai-coach/courses/${course.id}`, { method: 'PUT', body: { status: 'archived' } }),
    );
    expect(archived).toMatchObject({ status: 'archived', version: 2 });
  });

  it('records every course, module and lesson written in the audit trail', async () => {
    const course = await create('acme_manager');
    const [rows] = await asTenant('acme', acmeManager, 'manager', [
      {
        query: `select action, entity_id, actor_id from audit_logs
                 where entity_type like 'coach_%' and (entity_id = $1 or changes -> 'course_id' ->> 'to' = $1
                       or changes ->> 'course_id' = $1)`,
        params: [course.id],
      },
    ]);
    const actions = rows!.map((r) => r.action).sort();
    expect(actions).toEqual([
      'coach_courses.insert',
      'coach_lessons.insert',
      'coach_lessons.insert',
      'coach_lessons.insert',
      'coach_modules.insert',
      'coach_modules.insert',
    ]);
    expect(rows!.every((r) => r.actor_id === acmeManager)).toBe(true);
  });
});

describe('AI coach courses: what an agent sees', () => {
  it('an agent never receives quiz answers or explanations', async () => {
    const course = await create('acme_manager', { status: 'published' });
    const res = await as('acme_agent', `/api/ai-coach/courses/${course.id}`);
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(200);
    const read = JSON.parse(text);
    expect(read.modules[1].lessons[0].content.questions).toEqual([
      {
        prompt: 'The customer is upset. You say:',
        options: ['Calm down.', 'I understand, let me help.', 'Not my problem.'],
      },
    ]);
    expect(text, 'no answer anywhere in the body').not.toContain('"correct"');
    expect(text).not.toContain('Acknowledge, then act.');
  });

  it('an agent sees published courses only: drafts and archived courses are neither listed nor readable', async () => {
    const category = `agent_${uniq()}`;
    const draft = await create('acme_manager', { category });
    const published = await create('acme_manager', { category, status: 'published' });
    const archived = await create('acme_manager', { category, status: 'published' });
    await as('acme_manager', `/api/ai-coach/courses/${archived.id}`, { method: 'PUT', body: { status: 'archived' } });

    const list = await json(await as('acme_agent', `/api/ai-coach/courses?category=${category}`));
    expect(list.data.map((c: any) => c.id)).toEqual([published.id]);
    const asking = await json(await as('acme_agent', `/api/ai-coach/courses?category=${category}&status=draft`));
    expect(asking.data, 'asking for drafts shows none').toEqual([]);
    await expectProblem(await as('acme_agent', `/api/ai-coach/courses/${draft.id}`), 404);
    await expectProblem(await as('acme_agent', `/api/ai-coach/courses/${archived.id}`), 404);

    const managerList = await json(await as('acme_manager', `/api/ai-coach/courses?category=${category}`));
    expect(managerList.pagination.total, 'a manager sees all three').toBe(3);
  });
});

describe('AI coach courses: bad input', () => {
  const cases: { name: string; body: () => any; field: string }[] = [
    {
      name: 'a quiz without questions',
      body: () => {
        const b = courseBody();
        b.modules[1]!.lessons[0]!.content = { markdown: 'x', questions: [] } as any;
        return b;
      },
      field: 'modules.1.lessons.0.content.questions',
    },
    {
      name: 'a correct answer outside the options',
      body: () => {
        const b = courseBody();
        b.modules[0]!.lessons[1] = {
          title: 'Q',
          type: 'quiz',
          content: { markdown: '', questions: [{ prompt: 'P', options: ['a', 'b'], correct: [2] }] },
        } as any;
        return b;
      },
      field: 'modules.0.lessons.1.content.questions.0.correct',
    },
    {
      name: 'a question with one option',
      body: () => {
        const b = courseBody();
        (b.modules[1]!.lessons[0]!.content as any).questions[0].options = ['only'];
        (b.modules[1]!.lessons[0]!.content as any).questions[0].correct = [0];
        return b;
      },
      field: 'modules.1.lessons.0.content.questions.0.options',
    },
    {
      name: 'a question with eleven options',
      body: () => {
        const b = courseBody();
        (b.modules[1]!.lessons[0]!.content as any).questions[0].options = Array.from({ length: 11 }, (_, i) => `o${i}`);
        return b;
      },
      field: 'modules.1.lessons.0.content.questions.0.options',
    },
    {
      name: 'questions on a reading lesson',
      body: () => {
        const b = courseBody();
        (b.modules[0]!.lessons[0]!.content as any).questions = [{ prompt: 'P', options: ['a', 'b'], correct: [0] }];
        return b;
      },
      field: 'modules.0.lessons.0.content.questions',
    },
    {
      name: 'markdown over the limit',
      body: () => {
        const b = courseBody();
        b.modules[0]!.lessons[0]!.content = { markdown: 'x'.repeat(20_001) };
        return b;
      },
      field: 'modules.0.lessons.0.content.markdown',
    },
    {
      name: 'too many modules',
      body: () => {
        const b = courseBody();
        b.modules = Array.from({ length: 31 }, () => b.modules[0]!);
        return b;
      },
      field: 'modules',
    },
    { name: 'a smuggled tenant_id', body: () => courseBody({ tenant_id: 'globex' }), field: 'tenant_id' },
    { name: 'a smuggled source', body: () => courseBody({ source: 'generated' }), field: 'source' },
    { name: 'a course without modules', body: () => courseBody({ modules: [] }), field: 'modules' },
    { name: 'an unknown difficulty', body: () => courseBody({ difficulty: 'expert' }), field: 'difficulty' },
    {
      name: 'an unknown lesson type',
      body: () => {
        const b = courseBody();
        (b.modules[0]!.lessons[0] as any).type = 'video';
        return b;
      },
      field: 'modules.0.lessons.0.type',
    },
  ];

  it.each(cases)('$name is 422 at $field and creates nothing', async ({ body, field }) => {
    const b = body();
    const problem = await expectProblem(
      await as('acme_manager', '/api/ai-coach/courses', { method: 'POST', body: b }),
      422,
    );
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    const [rows] = await asTenant('acme', acmeManager, 'manager', [
      { query: 'select count(*)::int as n from coach_courses where title = $1', params: [b.title] },
    ]);
    expect(rows![0]!.n, 'nothing was created').toBe(0);
  });

  it('a course body may be larger than other JSON bodies (512 KB), and one over that is 413 with nothing created', async () => {
    const lessons = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        title: `L${i}`,
        type: 'reading',
        content: { markdown: 'x'.repeat(19_000) },
      }));
    // About 190 KB: three times the API's usual 64 KB.
    const big = await create('acme_manager', { modules: [{ title: 'Long read', lessons: lessons(10) }] });
    expect(big.modules[0].lessons).toHaveLength(10);
    const tooBig = courseBody({ modules: [1, 2].map((m) => ({ title: `M${m}`, lessons: lessons(15) })) });
    await expectProblem(await as('acme_manager', '/api/ai-coach/courses', { method: 'POST', body: tooBig }), 413);
    const [rows] = await asTenant('acme', acmeManager, 'manager', [
      { query: 'select count(*)::int as n from coach_courses where title = $1', params: [tooBig.title] },
    ]);
    expect(rows![0]!.n).toBe(0);
  });

  it('bad content on PUT is 422 with its field, and the course keeps its content and version', async () => {
    const course = await create('acme_manager');
    const problem = await expectProblem(
      await as('acme_manager', `/api/ai-coach/courses/${course.id}`, {
        method: 'PUT',
        body: {
          modules: [
            {
              title: 'M',
              lessons: [
                {
                  title: 'Q',
                  type: 'quiz',
                  content: { markdown: '', questions: [{ prompt: 'P', options: ['a', 'b'], correct: [5] }] },
                },
              ],
            },
          ],
        },
      }),
      422,
    );
    expect(problem.errors?.map((e) => e.field)).toContain('modules.0.lessons.0.content.questions.0.correct');
    expect(await json(await as('acme_manager', `/api/ai-coach/courses/${course.id}`))).toEqual(course);
  });

  it('an agent cannot create or change a course', async () => {
    const course = await create('acme_manager', { status: 'published' });
    await expectProblem(await as('acme_agent', '/api/ai-coach/courses', { method: 'POST', body: courseBody() }), 403);
    await expectProblem(
      await as('acme_agent', `/api/ai-coach/courses/${course.id}`, { method: 'PUT', body: { title: 'Mine' } }),
      403,
    );
  });
});

describe('AI coach courses: tenant isolation', () => {
  it("globex cannot read, list or update acme's course: 404, and acme's course is unchanged", async () => {
    const course = await create('acme_manager', { status: 'published' });
    for (const who of ['globex_manager', 'globex_agent', 'globex_admin'] as const) {
      await expectProblem(await as(who, `/api/ai-coach/courses/${course.id}`), 404);
      const list = await json(await as(who, `/api/ai-coach/courses?category=soft_skills&limit=100`));
      expect(list.data.map((c: any) => c.id)).not.toContain(course.id);
    }
    await expectProblem(
      await as('globex_manager', `/api/ai-coach/courses/${course.id}`, { method: 'PUT', body: { title: 'Hijacked' } }),
      404,
    );
    await expectProblem(
      await as('globex_manager', `/api/ai-coach/courses/${course.id}`, {
        method: 'PUT',
        body: {
          modules: [{ title: 'Smuggled', lessons: [{ title: 'L', type: 'reading', content: { markdown: 'x' } }] }],
        },
      }),
      404,
    );
    expect(await json(await as('acme_manager', `/api/ai-coach/courses/${course.id}`))).toEqual(course);
    expect(await rowsOf('globex', course.id), 'nothing was smuggled into globex either').toEqual({
      courses: 0,
      modules: 0,
      lessons: 0,
    });
  });

  it("as qa_app, an agent's context reads no row of a draft course, its modules or lessons", async () => {
    const draft = await create('acme_manager');
    const published = await create('acme_manager', { status: 'published' });
    const counts = (tenantRole: string, id: string) =>
      asTenant('acme', tenantRole === 'agent' ? IDS['agent@acme.test']! : acmeManager, tenantRole, [
        { query: 'select count(*)::int as n from coach_courses where id = $1', params: [id] },
        { query: 'select count(*)::int as n from coach_modules where course_id = $1', params: [id] },
        { query: 'select count(*)::int as n from coach_lessons where course_id = $1', params: [id] },
      ]).then((r) => r.map((rows) => rows[0]!.n));
    expect(await counts('agent', draft.id), 'the draft, as the agent').toEqual([0, 0, 0]);
    expect(await counts('agent', published.id), 'the published course, as the agent').toEqual([1, 2, 3]);
    expect(await counts('manager', draft.id), 'the draft, as a manager').toEqual([1, 2, 3]);
  });

  it('every AI coach table has row-level security enabled and forced, and an audit trigger', async () => {
    const rows = await runtimeSql().query(
      `select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
              exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = c.relname || '_audit') as audited
         from pg_class c where c.relkind = 'r' and c.relname like 'coach\\_%' order by c.relname`,
    );
    expect(rows).toEqual(
      [
        'coach_assignments',
        'coach_courses',
        'coach_lessons',
        'coach_modules',
        'coach_progress',
        'coach_rule_firings',
        'coach_rules',
      ].map((table) => ({
        table,
        enabled: true,
        forced: true,
        audited: true,
      })),
    );
  });

  it('as qa_app, an acme context sees and changes no globex course rows', async () => {
    const globex = await create('globex_manager');
    const globexManager = IDS['manager@globex.test']!;
    const [mine] = await asTenant('globex', globexManager, 'manager', [
      { query: 'select count(*)::int as n from coach_lessons where course_id = $1', params: [globex.id] },
    ]);
    expect(mine![0]!.n, 'globex sees its own lessons').toBe(3);
    const [courses, modules, lessons, updated, deleted] = await asTenant('acme', acmeManager, 'manager', [
      { query: "select count(*)::int as n from coach_courses where tenant_id = 'globex'" },
      { query: "select count(*)::int as n from coach_modules where tenant_id = 'globex'" },
      { query: "select count(*)::int as n from coach_lessons where tenant_id = 'globex'" },
      { query: "update coach_courses set title = 'hijacked' where id = $1 returning id", params: [globex.id] },
      { query: 'delete from coach_lessons where course_id = $1 returning id', params: [globex.id] },
    ]);
    expect([courses![0]!.n, modules![0]!.n, lessons![0]!.n]).toEqual([0, 0, 0]);
    expect(updated).toEqual([]);
    expect(deleted).toEqual([]);
    await expect(
      asTenant('acme', acmeManager, 'manager', [
        {
          query: `insert into coach_courses (tenant_id, title, category, difficulty) values ('globex', 'Smuggled', 'x', 'beginner')`,
        },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
    // A module of acme's own cannot hang off globex's course: the foreign key includes the tenant.
    await expect(
      asTenant('acme', acmeManager, 'manager', [
        {
          query: `insert into coach_modules (tenant_id, course_id, position, title) values ('acme', $1, 99, 'Smuggled')`,
          params: [globex.id],
        },
      ]),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await json(await as('globex_manager', `/api/ai-coach/courses/${globex.id}`))).toEqual(globex);
  });
});

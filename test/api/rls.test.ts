/**
 * The database enforces tenant isolation by itself: these statements run as the runtime role
 * over the same Neon HTTP path as the API, with no API code in between.
 */
import { describe, expect, it } from 'vitest';
import { asTenant, IDS, runtimeSql } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);

const acmeManager = IDS['manager@acme.test']!;
const acmeAgent = IDS['agent@acme.test']!;
const acmeAgent2 = IDS['agent2@acme.test']!;

describe('row-level security as the runtime role', () => {
  it('runs requests as qa_app, which cannot bypass RLS', async () => {
    const sql = runtimeSql();
    const [row] = await sql.query(
      'select current_user as who, r.rolsuper, r.rolbypassrls from pg_roles r where r.rolname = current_user',
    );
    expect(row).toEqual({ who: 'qa_app', rolsuper: false, rolbypassrls: false });
  });

  it('shows no rows of any tenant table without a tenant context', async () => {
    const sql = runtimeSql();
    for (const table of [
      'tenants',
      'organizations',
      'departments',
      'teams',
      'users',
      'feature_flags',
      'settings',
      'audit_logs',
      'tenant_usage',
      'coach_courses',
      'coach_modules',
      'coach_lessons',
      'analytics_call_facts',
      'analytics_daily',
      'analytics_daily_criteria',
      'analytics_daily_requirements',
      'compliance_templates',
      'compliance_template_versions',
      'evaluation_reviews',
      'evaluation_review_items',
      'report_schedules',
      'reports',
      'report_deliveries',
      'calibration_sessions',
      'calibration_session_calls',
      'calibration_session_graders',
      'calibration_scores',
      'disputes',
      'dispute_items',
    ]) {
      const [row] = await sql.query(`select count(*)::int as n from ${table}`);
      expect(row, `${table} without context`).toEqual({ n: 0 });
    }
  });

  it('shows only the tenant in context', async () => {
    const [orgs, users, tenants] = await asTenant('acme', acmeManager, 'manager', [
      { query: 'select distinct tenant_id from organizations' },
      { query: 'select distinct tenant_id from users' },
      { query: 'select id from tenants' },
    ]);
    expect(orgs).toEqual([{ tenant_id: 'acme' }]);
    expect(users).toEqual([{ tenant_id: 'acme' }]);
    expect(tenants).toEqual([{ id: 'acme' }]);
  });

  it("rejects an insert carrying another tenant's id", async () => {
    await expect(
      asTenant('acme', acmeManager, 'manager', [
        { query: "insert into organizations (tenant_id, name) values ('globex', 'Smuggled')" },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('cannot move a row to another tenant or touch one it cannot see', async () => {
    await expect(
      asTenant('acme', acmeManager, 'manager', [{ query: "update organizations set tenant_id = 'globex'" }]),
    ).rejects.toMatchObject({ code: '42501' });
    const [updated, deleted] = await asTenant('acme', acmeManager, 'manager', [
      { query: "update organizations set name = 'hijacked' where tenant_id = 'globex' returning id" },
      { query: "delete from users where tenant_id = 'globex' returning id" },
    ]);
    expect(updated).toEqual([]);
    expect(deleted).toEqual([]);
  });

  it('keeps the context inside its transaction only', async () => {
    await asTenant('acme', acmeManager, 'manager', [{ query: 'select 1' }]);
    const [row] = await runtimeSql().query("select coalesce(current_tenant(), '') as t");
    expect(row).toEqual({ t: '' });
  });

  it('refuses an unknown tenant in the context', async () => {
    await expect(asTenant('nosuch', acmeManager, 'manager', [{ query: 'select 1' }])).rejects.toMatchObject({
      code: 'QAT01',
    });
  });

  it('does not let the runtime role rewrite the audit trail', async () => {
    await expect(asTenant('acme', acmeManager, 'manager', [{ query: 'delete from audit_logs' }])).rejects.toMatchObject(
      { code: '42501' },
    );
    await expect(
      asTenant('acme', acmeManager, 'manager', [{ query: "update audit_logs set action = 'x'" }]),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('resolves feature flags in SQL with a stable per-user rollout bucket', async () => {
    const users = Array.from({ length: 200 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const [rows] = await asTenant('acme', acmeManager, 'manager', [
      {
        query: "select u, is_feature_enabled('acme', 'ai_coach', u, 'agent') as on from unnest($1::text[]) as u",
        params: [users],
      },
    ]);
    const on = rows!.filter((r) => r.on === true).length;
    expect(on, 'ai_coach is seeded at 50 % rollout').toBeGreaterThan(60);
    expect(on).toBeLessThan(140);
    const [again] = await asTenant('acme', acmeManager, 'manager', [
      {
        query: "select u, is_feature_enabled('acme', 'ai_coach', u, 'agent') as on from unnest($1::text[]) as u",
        params: [users],
      },
    ]);
    expect(again, 'the same users get the same answer').toEqual(rows);
    const [targetedRows] = await asTenant('acme', acmeManager, 'manager', [
      {
        query:
          "select is_feature_enabled('acme', 'live_command_center', $1, 'agent') as agent, is_feature_enabled('acme', 'live_command_center', $1, 'manager') as manager, is_feature_enabled('globex', 'ai_coach', $1, 'manager') as foreign",
        params: [acmeManager],
      },
    ]);
    expect(targetedRows![0]).toEqual({ agent: false, manager: true, foreign: false });
  });

  it('holds an agent to released evaluations of its own calls, and lets no agent write a review', async () => {
    const callId = crypto.randomUUID();
    const evaluationId = crypto.randomUUID();
    // An ai_review scoring of the agent's call, held back: what the evaluate step writes.
    await asTenant('acme', 'system:pipeline', 'system', [
      {
        query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key)
                values ($1::uuid, 'acme', $2, 'upload', 'awaiting_review', 'acme/calls/' || $1::text || '/audio')`,
        params: [callId, acmeAgent],
      },
      {
        query: `insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, grading_mode, overall_score, auto_failed,
                                         results, compliance, sentiment, customer_behavior, summary, model, released_at)
                values ($1, 'acme', $2, 'pipeline', '[]', 'ai_review', 40, false, '[]', '[]', '{}', '{}', 'held back', 'test', null)`,
        params: [evaluationId, callId],
      },
      {
        query: `insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category,
                                               score, max_points, passed, released)
                values ('acme', $1, $2, $3, 'greeting', 'Greeting', 'opening', 4, 10, false, false)`,
        params: [evaluationId, callId, acmeAgent],
      },
      {
        query: `insert into insights (tenant_id, call_id, evaluation_id, type, category, title, severity)
                values ('acme', $1, $2, 'coaching', 'opening', 'Greet the customer', 'low')`,
        params: [callId, evaluationId],
      },
    ]);
    const reads = [
      { query: 'select id from evaluations where call_id = $1', params: [callId] },
      { query: 'select criterion_id, effective_score from criterion_results where call_id = $1', params: [callId] },
      { query: 'select id from insights where call_id = $1', params: [callId] },
      { query: 'select id from evaluation_reviews where call_id = $1', params: [callId] },
      { query: 'select id from evaluation_review_items where call_id = $1', params: [callId] },
    ];
    const counts = async (who: string, role: string) =>
      (await asTenant('acme', who, role, reads)).map((rows) => rows.length);
    expect(await counts(acmeAgent, 'agent'), 'held back from its agent').toEqual([0, 0, 0, 0, 0]);
    expect(await counts(acmeManager, 'manager')).toEqual([1, 1, 1, 0, 0]);
    // The trigger made the model's values the effective ones.
    const [results] = await asTenant('acme', acmeManager, 'manager', [reads[1]!]);
    expect(results).toEqual([{ criterion_id: 'greeting', effective_score: 4 }]);

    // No agent writes a review, not even of its own call.
    await expect(
      asTenant('acme', acmeAgent, 'agent', [
        {
          query: `insert into evaluation_reviews (tenant_id, evaluation_id, call_id, agent_id, overall_score, auto_failed, created_by, updated_by)
                  values ('acme', $1, $2, $3::uuid, 100, false, $3::text, $3::text)`,
          params: [evaluationId, callId, acmeAgent],
        },
      ]),
    ).rejects.toMatchObject({ code: '42501' });

    // Reviewed and released: its agent reads it all, the other agent nothing.
    await asTenant('acme', acmeManager, 'manager', [
      { query: 'update evaluations set released_at = now() where id = $1', params: [evaluationId] },
      {
        query: `update criterion_results set effective_score = 9, effective_passed = true, released = true where evaluation_id = $1`,
        params: [evaluationId],
      },
      {
        query: `with r as (
                  insert into evaluation_reviews (tenant_id, evaluation_id, call_id, agent_id, overall_score, auto_failed, created_by, updated_by)
                  values ('acme', $1, $2, $3, 90, false, $4, $4) returning id)
                insert into evaluation_review_items (tenant_id, review_id, evaluation_id, call_id, agent_id, criterion_id, max_points,
                                                     score, passed, auto_failed, source, reviewed_by)
                select 'acme', r.id, $1, $2, $3, 'greeting', 10, 9, true, false, 'review', $4 from r`,
        params: [evaluationId, callId, acmeAgent, acmeManager],
      },
    ]);
    expect(await counts(acmeAgent, 'agent'), 'released to its agent').toEqual([1, 1, 1, 1, 1]);
    expect(await counts(acmeAgent2, 'agent'), 'never to another agent').toEqual([0, 0, 0, 0, 0]);
    const [updated] = await asTenant('acme', acmeAgent, 'agent', [
      { query: 'update evaluation_review_items set score = 10 where call_id = $1 returning id', params: [callId] },
    ]).catch((err: { code?: string }) => [[{ refused: err.code }]]);
    expect(updated, 'an agent cannot change its review').toEqual([{ refused: '42501' }]);
    // A human score above the criterion's max points, or outside a review's range, is refused by the database too.
    await expect(
      asTenant('acme', acmeManager, 'manager', [
        { query: 'update evaluation_review_items set score = 11 where call_id = $1', params: [callId] },
      ]),
    ).rejects.toMatchObject({ code: '23514' });
    const [forced] = await asTenant('acme', acmeManager, 'manager', [
      {
        query: `select relname, relrowsecurity, relforcerowsecurity from pg_class
                where relname in ('evaluation_reviews', 'evaluation_review_items') order by relname`,
      },
    ]);
    expect(forced).toEqual([
      { relname: 'evaluation_review_items', relrowsecurity: true, relforcerowsecurity: true },
      { relname: 'evaluation_reviews', relrowsecurity: true, relforcerowsecurity: true },
    ]);
    await asTenant('acme', 'system:pipeline', 'system', [
      { query: 'delete from calls where id = $1', params: [callId] },
    ]);
  });
});

describe('row-level security of scheduled reports', () => {
  const acmeAgent = IDS['agent@acme.test']!;
  const globexManager = IDS['manager@globex.test']!;
  /** The cron trigger's context: role 'system' and no tenant. */
  const platform = (queries: { query: string; params?: unknown[] }[]) =>
    asTenant('', 'system:scheduler', 'system', queries);

  /** A schedule in `tenant` with one ready report and one delivery of it. */
  async function fixture(tenant: string) {
    const [scheduleRows] = await asTenant(tenant, 'system:pipeline', 'system', [
      {
        query: `insert into report_schedules (tenant_id, name, type, format, schedule, recipients, next_run_at)
                values ($1, $2, 'call_scores', 'csv', '0 6 1 1 *', '{x@example.com}', now() + interval '300 days') returning id`,
        params: [tenant, `RLS ${uniq()}`],
      },
    ]);
    const [reportRows] = await asTenant(tenant, 'system:pipeline', 'system', [
      {
        query: `insert into reports (tenant_id, type, format, filters, status, requested_by, schedule_id, scheduled_for)
                values ($1, 'call_scores', 'csv', '{}', 'ready', 'system:scheduler', $2, now()) returning id`,
        params: [tenant, scheduleRows![0]!.id],
      },
      {
        query: `insert into report_deliveries (tenant_id, report_id, recipient)
                select $1, id, 'x@example.com' from reports where schedule_id = $2`,
        params: [tenant, scheduleRows![0]!.id],
      },
    ]);
    return { schedule: scheduleRows![0]!.id as string, report: reportRows![0]!.id as string };
  }

  it("confines an agent to its tenant's schedules and deliveries and to the reports it asked for", async () => {
    const acme = await fixture('acme');
    const globex = await fixture('globex');
    const [schedules, reports, deliveries] = await asTenant('acme', acmeAgent, 'agent', [
      {
        query: 'select id, tenant_id from report_schedules where id = any($1::uuid[])',
        params: [[acme.schedule, globex.schedule]],
      },
      { query: 'select id from reports where id = any($1::uuid[])', params: [[acme.report, globex.report]] },
      {
        query: 'select tenant_id from report_deliveries where report_id = any($1::uuid[])',
        params: [[acme.report, globex.report]],
      },
    ]);
    expect(schedules).toEqual([{ id: acme.schedule, tenant_id: 'acme' }]);
    expect(reports, "a scheduled report is not the agent's own").toEqual([]);
    expect(deliveries).toEqual([{ tenant_id: 'acme' }]);
    await expect(
      asTenant('acme', acmeAgent, 'agent', [
        {
          query: `insert into reports (tenant_id, type, format, filters, requested_by) values ('acme', 'call_scores', 'csv', '{}', $1)`,
          params: [IDS['agent2@acme.test']],
        },
      ]),
      "an agent cannot ask for a report in another user's name",
    ).rejects.toMatchObject({ code: '42501' });
  });

  it("gives another tenant nothing of a tenant's schedules, reports or deliveries", async () => {
    const acme = await fixture('acme');
    const [seen, moved, removed, cleared] = await asTenant('globex', globexManager, 'manager', [
      { query: 'select id from report_schedules where id = $1', params: [acme.schedule] },
      {
        query: "update report_schedules set recipients = '{spy@globex.test}' where id = $1 returning id",
        params: [acme.schedule],
      },
      { query: 'delete from reports where id = $1 returning id', params: [acme.report] },
      {
        query: 'update report_deliveries set sent_at = now() where report_id = $1 returning report_id',
        params: [acme.report],
      },
    ]);
    expect([seen, moved, removed, cleared]).toEqual([[], [], [], []]);
    await expect(
      asTenant('globex', globexManager, 'manager', [
        {
          query: `insert into report_schedules (tenant_id, name, type, format, schedule, recipients, next_run_at)
                  values ('acme', 'Smuggled', 'call_scores', 'csv', '0 6 1 1 *', '{spy@globex.test}', now())`,
        },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('lets the platform job read and move schedules and start queued scheduled reports, and nothing more', async () => {
    const acme = await fixture('acme');
    const globex = await fixture('globex');
    const [schedules, deliveries, users, audit, settings] = await platform([
      {
        query: 'select tenant_id from report_schedules where id = any($1::uuid[]) order by tenant_id',
        params: [[acme.schedule, globex.schedule]],
      },
      { query: 'select count(*)::int as n from report_deliveries' },
      { query: 'select count(*)::int as n from users' },
      { query: 'select count(*)::int as n from audit_logs' },
      { query: 'select distinct category from settings order by category' },
    ]);
    expect(schedules, "it reads every tenant's schedules").toEqual([{ tenant_id: 'acme' }, { tenant_id: 'globex' }]);
    expect(deliveries, 'not who got which report').toEqual([{ n: 0 }]);
    expect(users).toEqual([{ n: 0 }]);
    expect(audit).toEqual([{ n: 0 }]);
    // acme has 'qa' and 'notifications' settings: of the settings, only the general ones (the time
    // zone) are the platform's to read.
    expect(settings!.map((r) => r.category).filter((c) => c !== 'general')).toEqual([]);

    const [moved, deleted, started] = await platform([
      {
        query: "update report_schedules set next_run_at = now() + interval '301 days' where id = $1 returning id",
        params: [acme.schedule],
      },
      { query: 'delete from report_schedules where id = $1 returning id', params: [acme.schedule] },
      {
        query: `insert into reports (tenant_id, type, format, filters, status, requested_by, schedule_id, scheduled_for)
                values ('acme', 'call_scores', 'csv', '{}', 'queued', 'system:scheduler', $1, now()) returning id`,
        params: [acme.schedule],
      },
    ]);
    expect(moved).toHaveLength(1);
    expect(deleted, 'it cannot remove a schedule').toEqual([]);
    expect(started).toHaveLength(1);

    for (const [query, why] of [
      [
        "insert into reports (tenant_id, type, format, filters, status, requested_by) values ('acme', 'call_scores', 'csv', '{}', 'queued', 'system:scheduler')",
        'a report that belongs to no schedule',
      ],
      [
        `insert into reports (tenant_id, type, format, filters, status, requested_by, schedule_id, scheduled_for)
         values ('acme', 'call_scores', 'csv', '{}', 'ready', 'system:scheduler', '${acme.schedule}', now() - interval '1 day')`,
        'a report already ready',
      ],
      [
        `insert into report_deliveries (tenant_id, report_id, recipient) values ('acme', '${acme.report}', 'spy@example.com')`,
        'a delivery',
      ],
      [
        "insert into audit_logs (tenant_id, action, entity_type) values ('acme', 'calls.update', 'calls')",
        'an audit row about anything but schedules and reports',
      ],
    ] as const)
      await expect(platform([{ query }]), why).rejects.toMatchObject({ code: '42501' });
    const [updatedReports] = await platform([
      { query: "update reports set status = 'failed' where id = $1 returning id", params: [acme.report] },
    ]);
    expect(updatedReports, 'it changes no report but to expire it, or fail one a day in the queue').toEqual([]);
  });
});

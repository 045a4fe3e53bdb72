/**
 * The database enforces tenant isolation by itself: these statements run as the runtime role
 * over the same Neon HTTP path as the API, with no API code in between.
 */
import { describe, expect, it } from 'vitest';
import { asTenant, IDS, runtimeSql } from './helpers';

const acmeManager = IDS['manager@acme.test']!;

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
      'calibration_sessions',
      'calibration_session_calls',
      'calibration_session_graders',
      'calibration_scores',
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
});

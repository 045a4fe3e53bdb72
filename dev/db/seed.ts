/**
 * Demo data for the local stack: the tenants acme and globex with organizations, departments,
 * teams, feature flags and settings, and a profile row for every demo identity in the realm
 * files (keycloak/qa-*.json), so ids and roles never disagree with the Keycloak stand-in.
 * Idempotent: running it again changes nothing.
 *   npm run db:seed
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openBackend, type DatabaseBackend } from './backend.ts';
import { DEFAULT_DATA_DIR } from './migrate.ts';
import { TIER_LIMITS } from '../../src/services/tier-limits.ts';
import { DEMO } from './demo-ids.ts';

const REALMS_DIR = fileURLToPath(new URL('../../keycloak', import.meta.url));

interface RealmUser {
  id: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  realmRoles?: string[];
  serviceAccountClientId?: string;
}

type Query = (sql: string, params?: unknown[]) => Promise<unknown>;

function queryFor(backend: DatabaseBackend): Query {
  return backend.kind === 'pglite'
    ? (sql, params) => backend.pglite.query(sql, params as never[])
    : (sql, params) => backend.pool.query(sql, params as never[]);
}

async function realmUsers(realm: string): Promise<RealmUser[]> {
  const file = JSON.parse(await readFile(`${REALMS_DIR}/${realm}.json`, 'utf8')) as { users?: RealmUser[] };
  return (file.users ?? []).filter((u) => !u.serviceAccountClientId && u.email);
}

const TENANT_ROLES = ['tenant_admin', 'manager', 'agent'];

export async function seedDatabase(backend: DatabaseBackend): Promise<void> {
  const q = queryFor(backend);
  const tenant = (id: string, name: string, tier: 'standard' | 'default') =>
    q(
      `INSERT INTO tenants (id, display_name, subdomain, tier, limits, branding, features)
       VALUES ($1, $2, $1, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [
        id,
        name,
        tier,
        JSON.stringify(TIER_LIMITS[tier]),
        JSON.stringify({ primary_color: '#0f62fe' }),
        JSON.stringify({ ai_scoring: true }),
      ],
    );
  await tenant('acme', 'Acme Corporation', 'standard');
  await tenant('globex', 'Globex Inc.', 'default');

  const org = (id: string, tenantId: string, name: string, industry: string) =>
    q(
      `INSERT INTO organizations (id, tenant_id, name, industry, size, timezone) VALUES ($1, $2, $3, $4, '201-1000', 'America/New_York') ON CONFLICT (id) DO NOTHING`,
      [id, tenantId, name, industry],
    );
  const dept = (id: string, tenantId: string, orgId: string, name: string) =>
    q(
      `INSERT INTO departments (id, tenant_id, organization_id, name) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
      [id, tenantId, orgId, name],
    );
  const team = (id: string, tenantId: string, orgId: string, deptId: string, name: string) =>
    q(
      `INSERT INTO teams (id, tenant_id, organization_id, department_id, name) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
      [id, tenantId, orgId, deptId, name],
    );

  const a = DEMO.acme;
  await org(a.organization, 'acme', 'Acme Support', 'Retail');
  await dept(a.departments.billing, 'acme', a.organization, 'Billing');
  await dept(a.departments.technical, 'acme', a.organization, 'Technical Support');
  await team(a.teams.billingTier1, 'acme', a.organization, a.departments.billing, 'Billing Tier 1');
  await team(a.teams.techTier1, 'acme', a.organization, a.departments.technical, 'Tech Tier 1');
  const g = DEMO.globex;
  await org(g.organization, 'globex', 'Globex Contact Center', 'Telecommunications');
  await dept(g.departments.sales, 'globex', g.organization, 'Sales');
  await team(g.teams.outbound, 'globex', g.organization, g.departments.sales, 'Outbound Sales');

  const placement: Record<string, { org: string; dept: string | null; team: string | null }> = {
    'agent@acme.test': { org: a.organization, dept: a.departments.billing, team: a.teams.billingTier1 },
    'agent2@acme.test': { org: a.organization, dept: a.departments.technical, team: a.teams.techTier1 },
    'manager@acme.test': { org: a.organization, dept: a.departments.billing, team: null },
    'agent@globex.test': { org: g.organization, dept: g.departments.sales, team: g.teams.outbound },
    'manager@globex.test': { org: g.organization, dept: g.departments.sales, team: null },
  };
  for (const tenantId of ['acme', 'globex']) {
    for (const u of await realmUsers(`qa-${tenantId}`)) {
      const role = TENANT_ROLES.find((r) => u.realmRoles?.includes(r));
      if (!role) continue;
      const p = placement[u.email!];
      await q(
        `INSERT INTO users (id, tenant_id, email, first_name, last_name, role, organization_id, department_id, team_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
        [
          u.id,
          tenantId,
          u.email,
          u.firstName ?? null,
          u.lastName ?? null,
          role,
          p?.org ?? null,
          p?.dept ?? null,
          p?.team ?? null,
        ],
      );
    }
  }

  const flag = (
    tenantId: string,
    key: string,
    enabled: boolean,
    rollout: number,
    roles: string[],
    description: string,
  ) =>
    q(
      `INSERT INTO feature_flags (tenant_id, feature_key, enabled, rollout_percentage, target_roles, description)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [tenantId, key, enabled, rollout, `{${roles.join(',')}}`, description],
    );
  await flag('acme', 'ai_coach', true, 50, [], 'AI coaching courses built from weak spots');
  await flag('acme', 'live_command_center', true, 100, ['manager', 'tenant_admin'], 'Live WebSocket command center');
  await flag('globex', 'ai_coach', false, 100, [], 'AI coaching courses built from weak spots');

  const setting = (tenantId: string, category: string, values: object) =>
    q(`INSERT INTO settings (tenant_id, category, values) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      tenantId,
      category,
      JSON.stringify(values),
    ]);
  await setting('acme', 'qa', { passing_score: 80, auto_fail_zeroes_score: true });
  await setting('acme', 'notifications', { email_alerts: true, digest: 'daily' });
  await setting('globex', 'qa', { passing_score: 70 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const backend = await openBackend({ databaseUrl: process.env.DATABASE_URL, dataDir: DEFAULT_DATA_DIR });
  try {
    await seedDatabase(backend);
    console.log('demo data loaded');
  } finally {
    await backend.close();
  }
}

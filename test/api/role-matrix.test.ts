/** Every endpoint against the four roles: allowed roles get their 2xx, the others 403. */
import { describe, expect, it } from 'vitest';
import { atLeast, type Role } from '../../src/auth/roles';
import { DEMO } from '../../dev/db/demo-ids';
import { evaluate, GREET, newCall } from './calibration-fixtures';
import { as, callForm, IDS, json, uploadCall, wavBytes, type Who } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const org = DEMO.acme.organization;
const agentId = IDS['agent@acme.test']!;
const agent2Id = IDS['agent2@acme.test']!;

interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  min: Role;
  body?: () => unknown;
  ok: number;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/api/auth/profile', min: 'agent', ok: 200 },
  { method: 'GET', path: '/api/tenants', min: 'super_admin', ok: 200 },
  {
    method: 'POST',
    path: '/api/tenants',
    min: 'super_admin',
    ok: 201,
    body: () => {
      const id = `rm${uniq()}`;
      return {
        tenant_id: id,
        display_name: 'Matrix',
        subdomain: id,
        admin: { email: `admin@${id}.test`, first_name: 'A', last_name: 'B', password: 'a-long-password-1' },
      };
    },
  },
  { method: 'GET', path: '/api/tenants/acme', min: 'tenant_admin', ok: 200 },
  {
    method: 'PUT',
    path: '/api/tenants/acme',
    min: 'tenant_admin',
    ok: 200,
    body: () => ({ branding: { matrix: uniq() } }),
  },
  { method: 'GET', path: '/api/tenants/acme/usage', min: 'tenant_admin', ok: 200 },
  { method: 'GET', path: '/api/organizations', min: 'agent', ok: 200 },
  { method: 'POST', path: '/api/organizations', min: 'tenant_admin', ok: 201, body: () => ({ name: `Org ${uniq()}` }) },
  { method: 'GET', path: `/api/organizations/${org}`, min: 'agent', ok: 200 },
  { method: 'GET', path: `/api/organizations/${org}/departments`, min: 'agent', ok: 200 },
  {
    method: 'POST',
    path: `/api/organizations/${org}/departments`,
    min: 'manager',
    ok: 201,
    body: () => ({ name: `Dept ${uniq()}` }),
  },
  { method: 'GET', path: `/api/organizations/${org}/teams`, min: 'agent', ok: 200 },
  {
    method: 'POST',
    path: `/api/organizations/${org}/teams`,
    min: 'manager',
    ok: 201,
    body: () => ({ name: `Team ${uniq()}` }),
  },
  { method: 'GET', path: '/api/users', min: 'manager', ok: 200 },
  {
    method: 'POST',
    path: '/api/users',
    min: 'manager',
    ok: 201,
    body: () => ({ email: `rm-${uniq()}@acme.test`, first_name: 'R', last_name: 'M', role: 'agent' }),
  },
  // The agent reads itself; everyone above reads anyone.
  { method: 'GET', path: `/api/users/${agentId}`, min: 'agent', ok: 200 },
  { method: 'GET', path: `/api/users/${agentId}/permissions`, min: 'agent', ok: 200 },
  {
    method: 'PUT',
    path: `/api/users/${agent2Id}`,
    min: 'manager',
    ok: 200,
    body: () => ({ last_name: `Two-${uniq()}` }),
  },
  { method: 'GET', path: '/api/admin/feature-flags', min: 'tenant_admin', ok: 200 },
  {
    method: 'PUT',
    path: '/api/admin/feature-flags',
    min: 'tenant_admin',
    ok: 200,
    body: () => ({ feature_key: 'matrix_flag', enabled: true }),
  },
  { method: 'GET', path: '/api/admin/settings', min: 'tenant_admin', ok: 200 },
  {
    method: 'PUT',
    path: '/api/admin/settings',
    min: 'tenant_admin',
    ok: 200,
    body: () => ({ category: 'matrix', settings: { n: uniq() } }),
  },
  { method: 'GET', path: '/api/admin/audit-logs', min: 'tenant_admin', ok: 200 },
  // Calls and criteria.
  { method: 'GET', path: '/api/calls', min: 'agent', ok: 200 },
  {
    method: 'POST',
    path: '/api/calls/uploads',
    min: 'agent',
    ok: 201,
    body: () => ({ content_type: 'audio/wav', content_length: 1000 }),
  },
  { method: 'GET', path: '/api/evaluation-criteria/templates', min: 'agent', ok: 200 },
  { method: 'GET', path: '/api/evaluation-criteria', min: 'agent', ok: 200 },
  {
    method: 'POST',
    path: '/api/evaluation-criteria',
    min: 'manager',
    ok: 201,
    body: () => ({ name: `C ${uniq()}`, category: 'x', max_points: 5 }),
  },
  { method: 'GET', path: '/api/evaluation-criteria/sets', min: 'agent', ok: 200 },
  { method: 'GET', path: '/api/ai-coach/courses', min: 'agent', ok: 200 },
  { method: 'GET', path: '/api/ai-coach/assignments', min: 'agent', ok: 200 },
  {
    method: 'POST',
    path: '/api/ai-coach/courses',
    min: 'manager',
    ok: 201,
    body: () => courseBody(),
  },
  // 422: the guard answers first, then the unknown agent is refused before any model call.
  {
    method: 'POST',
    path: '/api/ai-coach/generate-course',
    min: 'manager',
    ok: 422,
    body: () => ({ agent_id: crypto.randomUUID(), weakness_areas: [] }),
  },
  { method: 'GET', path: '/api/ai-coach/rules', min: 'manager', ok: 200 },
  { method: 'POST', path: '/api/ai-coach/rules', min: 'manager', ok: 201, body: () => ruleBody() },
  // The agent reads its own recommendations; everyone above reads any agent's.
  { method: 'GET', path: `/api/ai-coach/recommendations/${agentId}`, min: 'agent', ok: 200 },
  // Every user reads the summary (an agent: its own figures); trends and agent performance are for managers.
  { method: 'GET', path: '/api/analytics/summary', min: 'agent', ok: 200 },
  { method: 'GET', path: '/api/analytics/trends?metric=volume', min: 'manager', ok: 200 },
  { method: 'GET', path: '/api/analytics/agent-performance', min: 'manager', ok: 200 },
  { method: 'GET', path: '/api/reviews/queue', min: 'manager', ok: 200 },
  { method: 'GET', path: '/api/reviews/queue?status=reviewed', min: 'manager', ok: 200 },
  { method: 'GET', path: '/api/reports', min: 'agent', ok: 200 },
  {
    method: 'POST',
    path: '/api/reports',
    min: 'manager',
    ok: 202,
    body: () => ({
      type: 'agent_performance',
      format: 'csv',
      filters: { from_date: '2026-11-01', to_date: '2026-11-07' },
    }),
  },
  { method: 'GET', path: '/api/analytics/ai-agreement', min: 'manager', ok: 200 },
  // Every user lists disputes (an agent: its own).
  { method: 'GET', path: '/api/disputes', min: 'agent', ok: 200 },
  // Calibration is for managers and up; 422: the guard answers first, then the unknown call is refused.
  { method: 'GET', path: '/api/calibration/sessions', min: 'manager', ok: 200 },
  {
    method: 'POST',
    path: '/api/calibration/sessions',
    min: 'manager',
    ok: 422,
    body: () => ({
      name: `Matrix ${uniq()}`,
      call_ids: [crypto.randomUUID()],
      grader_ids: [IDS['manager@acme.test'], IDS['admin@acme.test']],
    }),
  },
  { method: 'GET', path: '/api/admin/compliance-templates', min: 'manager', ok: 200 },
  { method: 'GET', path: '/api/admin/compliance-templates/pci_dss', min: 'manager', ok: 200 },
  {
    method: 'POST',
    path: '/api/admin/compliance-templates',
    min: 'tenant_admin',
    ok: 201,
    body: () => ({ from_system: 'hipaa_identity', name: `Matrix HIPAA ${uniq()}` }),
  },
  { method: 'GET', path: '/api/reports/scheduled', min: 'manager', ok: 200 },
  { method: 'POST', path: '/api/reports/scheduled', min: 'manager', ok: 201, body: () => reportScheduleBody() },
  { method: 'GET', path: '/api/integrations', min: 'tenant_admin', ok: 200 },
  {
    method: 'PUT',
    path: '/api/integrations/generic',
    min: 'tenant_admin',
    ok: 200,
    body: () => ({ secret: 'x'.repeat(40), media_origins: ['https://media.example.com'] }),
  },
];

const CALLERS: { who: Who; role: Role }[] = [
  { who: 'super_admin', role: 'super_admin' },
  { who: 'acme_admin', role: 'tenant_admin' },
  { who: 'acme_manager', role: 'manager' },
  { who: 'acme_agent', role: 'agent' },
];

/** Per-call endpoints, on a call the agent itself uploaded (so an agent's 2xx is its own call). */
const CALL_ENDPOINTS: ((id: string) => Endpoint)[] = [
  (id) => ({ method: 'GET', path: `/api/calls/${id}`, min: 'agent', ok: 200 }),
  (id) => ({ method: 'GET', path: `/api/calls/${id}/transcription`, min: 'agent', ok: 200 }),
  (id) => ({ method: 'GET', path: `/api/calls/${id}/analysis`, min: 'agent', ok: 200 }),
  (id) => ({ method: 'GET', path: `/api/calls/${id}/insights`, min: 'agent', ok: 200 }),
  (id) => ({ method: 'GET', path: `/api/calls/${id}/audio`, min: 'agent', ok: 200 }),
];

function courseBody() {
  return {
    title: `Matrix ${uniq()}`,
    category: 'matrix',
    difficulty: 'beginner',
    status: 'published',
    modules: [{ title: 'M', lessons: [{ title: 'L', type: 'reading', content: { markdown: 'Read' } }] }],
  };
}

/** Per-course endpoints, on a published course (so an agent's 2xx is a course it may read). */
const COURSE_ENDPOINTS: ((id: string) => Endpoint)[] = [
  (id) => ({ method: 'GET', path: `/api/ai-coach/courses/${id}`, min: 'agent', ok: 200 }),
  (id) => ({
    method: 'PUT',
    path: `/api/ai-coach/courses/${id}`,
    min: 'manager',
    ok: 200,
    body: () => ({ description: `Changed ${uniq()}` }),
  }),
  (id) => ({
    method: 'POST',
    path: '/api/ai-coach/assignments',
    min: 'manager',
    ok: 201,
    body: () => ({ course_id: id, agent_ids: [agent2Id] }),
  }),
];

/** Per-assignment endpoints, on an assignment of the calling agent (so an agent's 2xx is its own). */
const ASSIGNMENT_ENDPOINTS: ((id: string) => Endpoint)[] = [
  (id) => ({ method: 'GET', path: `/api/ai-coach/assignments/${id}`, min: 'agent', ok: 200 }),
  (id) => ({ method: 'GET', path: `/api/ai-coach/assignments/${id}/progress`, min: 'agent', ok: 200 }),
  (id) => ({
    method: 'PUT',
    path: `/api/ai-coach/assignments/${id}`,
    min: 'manager',
    ok: 200,
    body: () => ({ priority: 'high' }),
  }),
];

/** Disabled, so the matrix's rules never fire on other tests' calls. */
function ruleBody() {
  return {
    name: `Matrix ${uniq()}`,
    criterion_id: 'greeting',
    condition: { type: 'consecutive_fails', count: 3 },
    action: { type: 'generate_course' },
    enabled: false,
  };
}

/** Per-rule endpoints, on a rule a manager made; DELETE last. */
const RULE_ENDPOINTS: ((id: string) => Endpoint)[] = [
  (id) => ({ method: 'GET', path: `/api/ai-coach/rules/${id}`, min: 'manager', ok: 200 }),
  (id) => ({
    method: 'PUT',
    path: `/api/ai-coach/rules/${id}`,
    min: 'manager',
    ok: 200,
    body: () => ({ cooldown_days: 3 }),
  }),
  (id) => ({ method: 'DELETE', path: `/api/ai-coach/rules/${id}`, min: 'manager', ok: 204 }),
];

/** Yearly on January 1st, so the matrix's schedules never fall due while tests run. */
function reportScheduleBody() {
  return {
    name: `Matrix ${uniq()}`,
    type: 'agent_performance',
    format: 'xlsx',
    schedule: '0 6 1 1 *',
    recipients: ['manager@acme.test'],
  };
}

/** Per-schedule endpoints, on a schedule a manager made; DELETE last. */
const REPORT_SCHEDULE_ENDPOINTS: ((id: string) => Endpoint)[] = [
  (id) => ({
    method: 'PUT',
    path: `/api/reports/scheduled/${id}`,
    min: 'manager',
    ok: 200,
    body: () => ({ period_days: 30 }),
  }),
  (id) => ({ method: 'DELETE', path: `/api/reports/scheduled/${id}`, min: 'manager', ok: 204 }),
];

/** Per-template endpoints, on a copy of a system template made for the case. */
const TEMPLATE_ENDPOINTS: ((id: string) => Endpoint)[] = [
  (id) => ({ method: 'GET', path: `/api/admin/compliance-templates/${id}`, min: 'manager', ok: 200 }),
  (id) => ({
    method: 'PUT',
    path: `/api/admin/compliance-templates/${id}`,
    min: 'tenant_admin',
    ok: 200,
    body: () => ({ description: `Changed ${uniq()}` }),
  }),
  (id) => ({ method: 'DELETE', path: `/api/admin/compliance-templates/${id}`, min: 'tenant_admin', ok: 204 }),
];

const cases = ENDPOINTS.flatMap((e) => CALLERS.map((c) => ({ ...e, ...c, allowed: atLeast(c.role, e.min) })));

describe('role matrix', () => {
  it.each(cases)('$method $path as $role → allowed: $allowed', async ({ method, path, body, who, allowed, ok }) => {
    // A super admin names the tenant it acts on.
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    const res = await as(who, path, { method, headers, ...(body ? { body: body() } : {}) });
    const text = await res.text();
    expect(res.status, `${method} ${path} as ${who}: ${text.slice(0, 300)}`).toBe(allowed ? ok : 403);
    if (!allowed) expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it.each(CALLERS)('per-call endpoints as $role', async ({ who, role }) => {
    const form = callForm({ metadata: { direction: 'inbound' }, audio: wavBytes() });
    const { call_id } = await json(await uploadCall('acme_agent', form));
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    for (const make of CALL_ENDPOINTS) {
      const e = make(call_id);
      const res = await as(who, e.path, { method: e.method, headers });
      expect(res.status, `${e.method} ${e.path} as ${role}: ${(await res.text()).slice(0, 200)}`).toBe(
        atLeast(role, e.min) ? e.ok : 403,
      );
    }
    // Manager-only actions on the same call.
    const reanalysis = await as(who, `/api/calls/${call_id}/analysis`, { method: 'POST', headers, body: {} });
    expect(reanalysis.status, `re-analysis as ${role}`).toBe(atLeast(role, 'manager') ? 409 : 403); // 409: not transcribed yet
    const labels = await as(who, `/api/calls/${call_id}/transcription`, {
      method: 'PUT',
      headers,
      body: { segments: [{ index: 0, speaker: 'agent' }] },
    });
    expect(labels.status, `relabel as ${role}`).toBe(atLeast(role, 'manager') ? 404 : 403); // 404: no transcript yet
    const review = await as(who, `/api/calls/${call_id}/review`, {
      method: 'PUT',
      headers,
      body: { criteria: [{ criterion_id: 'greeting', score: 1 }] },
    });
    expect(review.status, `review as ${role}`).toBe(atLeast(role, 'manager') ? 409 : 403); // 409: not scored yet
    // Every role may read a review (an agent: of its own call); this call has no evaluation yet.
    const read = await as(who, `/api/calls/${call_id}/review`, { headers });
    expect(read.status, `read the review as ${role}`).toBe(404);
    const del = await as(who, `/api/calls/${call_id}`, { method: 'DELETE', headers });
    expect(del.status, `delete as ${role}`).toBe(atLeast(role, 'manager') ? 204 : 403);
  });

  it.each(CALLERS)('per-course endpoints as $role', async ({ who, role }) => {
    const created = await as('acme_manager', '/api/ai-coach/courses', { method: 'POST', body: courseBody() });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    for (const make of COURSE_ENDPOINTS) {
      const e = make(id);
      const res = await as(who, e.path, { method: e.method, headers, ...(e.body ? { body: e.body() } : {}) });
      expect(res.status, `${e.method} ${e.path} as ${role}: ${(await res.text()).slice(0, 200)}`).toBe(
        atLeast(role, e.min) ? e.ok : 403,
      );
    }
  });

  it.each(CALLERS)('per-compliance-template endpoints as $role', async ({ who, role }) => {
    const created = await as('acme_admin', '/api/admin/compliance-templates', {
      method: 'POST',
      body: { from_system: 'gdpr_recording', name: `Matrix GDPR ${uniq()}` },
    });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    for (const make of TEMPLATE_ENDPOINTS) {
      const e = make(id);
      const res = await as(who, e.path, { method: e.method, headers, ...(e.body ? { body: e.body() } : {}) });
      expect(res.status, `${e.method} ${e.path} as ${role}: ${(await res.text()).slice(0, 200)}`).toBe(
        atLeast(role, e.min) ? e.ok : 403,
      );
    }
  });

  it.each(CALLERS)('per-rule endpoints as $role', async ({ who, role }) => {
    const created = await as('acme_manager', '/api/ai-coach/rules', { method: 'POST', body: ruleBody() });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    for (const make of RULE_ENDPOINTS) {
      const e = make(id);
      const res = await as(who, e.path, { method: e.method, headers, ...(e.body ? { body: e.body() } : {}) });
      expect(res.status, `${e.method} ${e.path} as ${role}: ${(await res.text()).slice(0, 200)}`).toBe(
        atLeast(role, e.min) ? e.ok : 403,
      );
    }
  });

  it.each(CALLERS)('per-report-schedule endpoints as $role', async ({ who, role }) => {
    const created = await as('acme_manager', '/api/reports/scheduled', { method: 'POST', body: reportScheduleBody() });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    for (const make of REPORT_SCHEDULE_ENDPOINTS) {
      const e = make(id);
      const res = await as(who, e.path, { method: e.method, headers, ...(e.body ? { body: e.body() } : {}) });
      expect(res.status, `${e.method} ${e.path} as ${role}: ${(await res.text()).slice(0, 200)}`).toBe(
        atLeast(role, e.min) ? e.ok : 403,
      );
    }
  });

  it.each(CALLERS)('per-assignment endpoints as $role', async ({ who, role }) => {
    const created = await as('acme_manager', '/api/ai-coach/courses', { method: 'POST', body: courseBody() });
    const course = await json(created);
    const assigned = await as('acme_manager', '/api/ai-coach/assignments', {
      method: 'POST',
      body: { course_id: course.id, agent_ids: [agentId] },
    });
    expect(assigned.status).toBe(201);
    const { id } = (await json(assigned)).created[0];
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    for (const make of ASSIGNMENT_ENDPOINTS) {
      const e = make(id);
      const res = await as(who, e.path, { method: e.method, headers, ...(e.body ? { body: e.body() } : {}) });
      expect(res.status, `${e.method} ${e.path} as ${role}: ${(await res.text()).slice(0, 200)}`).toBe(
        atLeast(role, e.min) ? e.ok : 403,
      );
    }
    // Progress is the assigned agent's alone: every role above it is refused.
    const progress = await as(who, `/api/ai-coach/assignments/${id}/progress`, {
      method: 'POST',
      headers,
      body: { module_id: course.modules[0].id, lesson_id: course.modules[0].lessons[0].id, progress_type: 'started' },
    });
    expect(progress.status, `record progress as ${role}`).toBe(role === 'agent' ? 200 : 403);
  });

  it.each(CALLERS)('per-dispute endpoints as $role', async ({ who, role }) => {
    // A scored, released call of the agent, and a dispute the agent opened on it.
    const callId = await newCall();
    await evaluate(callId, { greet: [2, false], verify: [10, true] });
    const disputeBody = { items: [{ criterion_id: GREET.id, proposed_score: 5, reason: 'I greeted the customer' }] };
    const opened = await as('acme_agent', `/api/calls/${callId}/disputes`, { method: 'POST', body: disputeBody });
    expect(opened.status, await opened.clone().text()).toBe(201);
    const { id } = await json(opened);
    const headers: Record<string, string> = who === 'super_admin' ? { 'x-tenant-id': 'acme' } : {};
    const manager = atLeast(role, 'manager');
    const steps: [string, string, unknown, number][] = [
      // Only the call's agent opens one: everyone else is refused (the agent's second is over the limit).
      ['POST', `/api/calls/${callId}/disputes`, disputeBody, manager ? 403 : 409],
      ['GET', `/api/disputes/${id}`, undefined, 200],
      ['POST', `/api/disputes/${id}/review`, undefined, manager ? 200 : 403],
      // 422: the guard answers first, then the criterion that is not in the dispute is refused.
      [
        'POST',
        `/api/disputes/${id}/resolve`,
        { items: [{ criterion_id: 'not-disputed', decision: 'upheld', comment: 'x' }] },
        manager ? 422 : 403,
      ],
      // Only the dispute's agent withdraws it.
      ['POST', `/api/disputes/${id}/withdraw`, undefined, manager ? 403 : 200],
    ];
    for (const [method, path, body, status] of steps) {
      const res = await as(who, path, { method, headers, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path} as ${role}: ${(await res.text()).slice(0, 200)}`).toBe(status);
    }
  });

  it('lets an agent read only its own user record and permissions', async () => {
    expect((await as('acme_agent', `/api/users/${agent2Id}`)).status).toBe(403);
    expect((await as('acme_agent', `/api/users/${agent2Id}/permissions`)).status).toBe(403);
  });

  it('does not let a manager create or change a user above its own role', async () => {
    const res = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: { email: `up-${uniq()}@acme.test`, first_name: 'U', last_name: 'P', role: 'tenant_admin' },
    });
    expect(res.status).toBe(403);
    const admin = IDS['admin@acme.test']!;
    const put = await as('acme_manager', `/api/users/${admin}`, { method: 'PUT', body: { last_name: 'Demoted' } });
    expect(put.status).toBe(403);
    const check = await json(await as('acme_admin', `/api/users/${admin}`));
    expect(check.last_name, 'nothing changed').not.toBe('Demoted');
  });

  it('lets a tenant admin create a tenant admin but never a super admin', async () => {
    const ok = await as('acme_admin', '/api/users', {
      method: 'POST',
      body: { email: `ta-${uniq()}@acme.test`, first_name: 'T', last_name: 'A', role: 'tenant_admin' },
    });
    expect(ok.status).toBe(201);
    const no = await as('acme_admin', '/api/users', {
      method: 'POST',
      body: { email: `sa-${uniq()}@acme.test`, first_name: 'S', last_name: 'A', role: 'super_admin' },
    });
    expect(no.status, 'super_admin is not a tenant role at all').toBe(422);
  });

  it('only lets a super admin change tier, status and limits', async () => {
    expect((await as('acme_admin', '/api/tenants/acme', { method: 'PUT', body: { tier: 'enterprise' } })).status).toBe(
      403,
    );
    const ok = await as('super_admin', '/api/tenants/acme', { method: 'PUT', body: { limits: { max_users: 300 } } });
    expect(ok.status).toBe(200);
    expect((await json(ok)).limits.max_users).toBe(300);
  });
});

import { describe, expect, it } from 'vitest';
import { as, asTenant, callForm, expectProblem, IDS, json, uploadCall, wavBytes } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);

describe('administration', () => {
  it('creates and updates a feature flag; the change is audited in the same transaction', async () => {
    const key = `flag_${uniq()}`;
    const created = await json(
      await as('acme_admin', '/api/admin/feature-flags', {
        method: 'PUT',
        body: { feature_key: key, enabled: true, rollout_percentage: 25, target_roles: ['agent'] },
      }),
    );
    expect(created).toMatchObject({ feature_key: key, enabled: true, rollout_percentage: 25, target_roles: ['agent'] });
    const updated = await json(
      await as('acme_admin', '/api/admin/feature-flags', { method: 'PUT', body: { feature_key: key, enabled: false } }),
    );
    expect(updated).toMatchObject({ enabled: false, rollout_percentage: 25, target_roles: ['agent'] });
    const list = await json(await as('acme_admin', '/api/admin/feature-flags'));
    expect(list.data.map((f: { feature_key: string }) => f.feature_key)).toContain(key);
    const audit = await json(await as('acme_admin', `/api/admin/audit-logs?entity_type=feature_flags&limit=100`));
    const mine = audit.data.filter((e: { entity_id: string }) => e.entity_id === key);
    expect(mine.map((e: { action: string }) => e.action)).toEqual(['feature_flags.update', 'feature_flags.insert']);
    expect(mine[0].changes.enabled).toEqual({ from: true, to: false });
    expect(mine[0].actor_id).toBe(IDS['admin@acme.test']);
    expect(mine[0].request_id).toBeTruthy();
  });

  it('rejects an out-of-range rollout', async () => {
    const body = await expectProblem(
      await as('acme_admin', '/api/admin/feature-flags', {
        method: 'PUT',
        body: { feature_key: 'x_flag', enabled: true, rollout_percentage: 101 },
      }),
      422,
    );
    expect(body.errors?.[0]?.field).toBe('rollout_percentage');
  });

  it('merges settings by category, removes keys set to null, and filters by category', async () => {
    const category = `cat_${uniq()}`;
    await as('acme_admin', '/api/admin/settings', { method: 'PUT', body: { category, settings: { a: 1, b: 'two' } } });
    const merged = await json(
      await as('acme_admin', '/api/admin/settings', {
        method: 'PUT',
        body: { category, settings: { b: null, c: true } },
      }),
    );
    expect(merged.settings).toEqual({ a: 1, c: true });
    const one = await json(await as('acme_admin', `/api/admin/settings?category=${category}`));
    expect(one.data).toHaveLength(1);
    const seeded = await json(await as('acme_admin', '/api/admin/settings?category=qa'));
    expect(seeded.data[0].settings.passing_score).toBe(80);
  });

  it('pages and filters the audit trail by date, user and action', async () => {
    const all = await json(await as('acme_admin', '/api/admin/audit-logs?limit=5'));
    expect(all.data.length).toBeLessThanOrEqual(5);
    expect(all.pagination.total).toBeGreaterThan(0);
    const future = await json(await as('acme_admin', '/api/admin/audit-logs?from_date=2999-01-01'));
    expect(future.data).toEqual([]);
    const byAdmin = await json(
      await as('acme_admin', `/api/admin/audit-logs?user_id=${IDS['admin@acme.test']}&limit=100`),
    );
    expect(byAdmin.data.every((e: { actor_id: string }) => e.actor_id === IDS['admin@acme.test'])).toBe(true);
  });
});

type AuditEntry = {
  id: string;
  tenant_id: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  changes: Record<string, any> | null;
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function auditOf(who: 'acme_admin' | 'super_admin', query: string, headers: Record<string, string> = {}) {
  return (await json(await as(who, `/api/admin/audit-logs?${query}`, { headers }))).data as AuditEntry[];
}

/** A transcript as the pipeline writes it: as `system:pipeline`, long text, three segments. */
async function pipelineTranscript(callId: string) {
  const segment = (speaker: string, role: string, text: string, start: number) => ({
    speaker,
    role,
    text,
    start_ms: start,
    end_ms: start + 900,
    confidence: 0.9,
  });
  const utterances = [
    segment('A', 'agent', 'Thank you for calling, how can I help?', 0),
    segment('B', 'customer', 'My bill is wrong. '.repeat(300), 1000),
    segment('B', 'customer', 'Can you fix it today?', 2000),
  ];
  const text = utterances.map((u) => u.text).join(' ');
  await asTenant('acme', 'system:pipeline', 'system', [
    {
      query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles)
              values ($1, 'acme', 'tr-audit', $2, $3::jsonb, '{"A":"agent","B":"customer"}')`,
      params: [callId, text, JSON.stringify(utterances)],
    },
  ]);
  return text;
}

describe('the audit trail', () => {
  it('transcript relabel is audited: who relabelled which segment, the pipeline write as system:pipeline, no copy of the transcript', async () => {
    const { call_id } = await json(
      await uploadCall('acme_agent', callForm({ metadata: { direction: 'inbound' }, audio: wavBytes() })),
    );
    const text = await pipelineTranscript(call_id);
    expect(text.length).toBeGreaterThan(5000);
    const relabel = await as('acme_manager', `/api/calls/${call_id}/transcription`, {
      method: 'PUT',
      body: { segments: [{ index: 2, speaker: 'agent' }] },
    });
    expect(relabel.status).toBe(200);

    const trail = (await auditOf('acme_admin', 'entity_type=transcripts&limit=100')).filter(
      (e) => e.entity_id === call_id,
    );
    expect(
      trail.map((e) => e.action),
      'the relabel and the pipeline write, newest first',
    ).toEqual(['transcripts.update', 'transcripts.insert']);
    const [update, insert] = trail as [AuditEntry, AuditEntry];
    expect(update).toMatchObject({ actor_id: IDS['manager@acme.test'], actor_role: 'manager', tenant_id: 'acme' });
    expect(update.changes?.utterances?.items, 'exactly the segment that changed, and how').toEqual([
      { index: 2, changes: { role: { from: 'customer', to: 'agent' } } },
    ]);
    expect(update.changes?.utterances?.items_changed).toBe(1);
    expect(insert).toMatchObject({ actor_id: 'system:pipeline', actor_role: 'system' });
    expect(insert.changes?.speaker_roles).toEqual({ A: 'agent', B: 'customer' });
    expect(insert.changes?.text, 'a large value is summarised, not copied').toMatchObject({
      omitted: true,
      bytes: expect.any(Number),
    });
    for (const e of trail) {
      expect(JSON.stringify(e.changes).length, `${e.action} stays small`).toBeLessThan(text.length / 2);
    }
  });

  it('transcript relabel is audited: evaluations, insights and dashboards are recorded too', async () => {
    const { call_id } = await json(
      await uploadCall('acme_agent', callForm({ metadata: { direction: 'inbound' }, audio: wavBytes() })),
    );
    const evaluation = crypto.randomUUID();
    await asTenant('acme', 'system:pipeline', 'system', [
      {
        query: `insert into evaluations (id, tenant_id, call_id, run_key, criteria_snapshot, overall_score, auto_failed,
                  results, compliance, sentiment, customer_behavior, summary, model)
                values ($1, 'acme', $2, 'pipeline', '[]', 72, false, $3::jsonb, '[]', '{}', '{}', 'fine', 'gpt-test')`,
        params: [
          evaluation,
          call_id,
          JSON.stringify([{ criterion_id: 'greeting', score: 8, reasoning: 'x'.repeat(4000) }]),
        ],
      },
      {
        query: `insert into insights (tenant_id, call_id, evaluation_id, type, category, title, severity)
                values ('acme', $1, $2, 'coaching', 'empathy', 'Acknowledge the problem', 'medium')`,
        params: [call_id, evaluation],
      },
    ]);
    const evaluations = (await auditOf('acme_admin', 'entity_type=evaluations&limit=100')).filter(
      (e) => e.entity_id === evaluation,
    );
    expect(evaluations.map((e) => [e.action, e.actor_id])).toEqual([['evaluations.insert', 'system:pipeline']]);
    expect(evaluations[0]!.changes?.overall_score).toBe(72);
    expect(evaluations[0]!.changes?.results).toMatchObject({ omitted: true });
    const insights = (await auditOf('acme_admin', 'entity_type=insights&limit=100')).filter(
      (e) => e.changes?.evaluation_id === evaluation,
    );
    expect(insights.map((e) => [e.action, e.actor_id])).toEqual([['insights.insert', 'system:pipeline']]);

    const widgets = [{ type: 'alerts', position: { x: 0, y: 0, w: 6, h: 4 }, config: {} }];
    expect(
      (await as('acme_agent2', '/api/command-center/dashboard', { method: 'PUT', body: { widgets } })).status,
    ).toBe(200);
    const dashboards = (await auditOf('acme_admin', 'entity_type=dashboards&limit=100')).filter(
      (e) => e.entity_id === IDS['agent2@acme.test'],
    );
    expect(dashboards[0]).toMatchObject({ actor_id: IDS['agent2@acme.test'], actor_role: 'agent' });

    // Deleting the call removes its transcript, evaluations and insights; each removal is recorded.
    expect((await as('acme_manager', `/api/calls/${call_id}`, { method: 'DELETE' })).status).toBe(204);
    const removed = (await auditOf('acme_admin', 'action=evaluations.delete&limit=100')).filter(
      (e) => e.entity_id === evaluation,
    );
    expect(removed[0]).toMatchObject({ actor_id: IDS['manager@acme.test'] });
  });

  it('super admin audit log is scoped to the named tenant: no globex row in acme, each row says its tenant', async () => {
    const key = `flag_${uniq()}`;
    const put = await as('globex_admin', '/api/admin/feature-flags', {
      method: 'PUT',
      body: { feature_key: key, enabled: true },
    });
    expect(put.status).toBe(200);
    const acme = await auditOf('super_admin', 'limit=100', { 'x-tenant-id': 'acme' });
    expect(acme.length).toBeGreaterThan(0);
    expect(
      acme.map((e) => e.entity_id),
      "globex's newest change is not in acme's trail",
    ).not.toContain(key);
    expect(acme.every((e) => e.tenant_id === 'acme')).toBe(true);
    const globex = await auditOf('super_admin', 'entity_type=feature_flags&limit=100', { 'x-tenant-id': 'globex' });
    expect(globex.find((e) => e.entity_id === key)).toMatchObject({ tenant_id: 'globex', actor_role: 'tenant_admin' });
    // The database enforces it too: a super admin's context for acme reads no globex row.
    const [foreign] = await asTenant('acme', IDS['root@platform.test']!, 'super_admin', [
      { query: `select count(*)::int as n from audit_logs where tenant_id <> 'acme'` },
    ]);
    expect(foreign?.[0]?.n).toBe(0);
    // Without a named tenant there is no trail to show: the header is required, as elsewhere.
    const problem = await expectProblem(await as('super_admin', '/api/admin/audit-logs'), 422);
    expect(problem.errors?.[0]?.field).toBe('X-Tenant-Id');
  });

  it('audit-log id reveals nothing across tenants: ids are UUIDs, and pages stay stable', async () => {
    const flag = (who: 'acme_admin' | 'globex_admin', feature_key: string, enabled: boolean) =>
      as(who, '/api/admin/feature-flags', { method: 'PUT', body: { feature_key, enabled } });
    const mine = `flag_${uniq()}`;
    expect((await flag('acme_admin', mine, true)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await flag('globex_admin', `flag_${uniq()}`, true)).status).toBe(200);
    expect((await flag('acme_admin', mine, false)).status).toBe(200);
    const rows = (await auditOf('acme_admin', 'entity_type=feature_flags&limit=100')).filter(
      (e) => e.entity_id === mine,
    );
    expect(rows).toHaveLength(2);
    // A sequence would differ by 4 here, telling acme that another tenant made 3 changes meanwhile.
    for (const e of rows) expect(e.id, 'an opaque id').toMatch(UUID);

    // Rows written in one transaction share their timestamp; pages through them never repeat or
    // skip one. A fresh tenant, so that no other test adds rows meanwhile.
    const id = `a${uniq()}`;
    const created = await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: id,
        display_name: 'Audit pages',
        subdomain: id,
        admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
      },
    });
    expect(created.status).toBe(201);
    await asTenant(id, 'system:pipeline', 'system', [
      {
        query: `insert into settings (tenant_id, category, values)
                select $1, 'batch_' || n, jsonb_build_object('n', n) from generate_series(1, 5) n`,
        params: [id],
      },
    ]);
    const headers = { 'x-tenant-id': id };
    const all = await json(await as('super_admin', '/api/admin/audit-logs?limit=100', { headers }));
    expect(all.data.length).toBeGreaterThanOrEqual(7);
    const paged: string[] = [];
    for (let page = 1; page <= all.pagination.total; page++) {
      const one = await json(await as('super_admin', `/api/admin/audit-logs?limit=1&page=${page}`, { headers }));
      paged.push(one.data[0].id);
    }
    expect(paged).toEqual(all.data.map((e: AuditEntry) => e.id));
  });
});

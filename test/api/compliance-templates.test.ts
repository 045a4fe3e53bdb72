/**
 * Compliance templates: the platform's read-only system templates, tenant copies and their
 * versions, attachment to criteria sets, and scoring a call's transcript against them.
 */
import { describe, expect, it } from 'vitest';
import { as, asTenant, expectProblem, IDS, json, type Who } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const acmeAdmin = IDS['admin@acme.test']!;
const BASE = '/api/admin/compliance-templates';

function customBody(overrides: Record<string, unknown> = {}) {
  return {
    name: `Custom ${uniq()}`,
    regulation_type: 'CUSTOM',
    description: 'House rules for retention calls.',
    requirements: [
      {
        key: 'no_guarantees',
        title: 'No guaranteed returns',
        text: 'The agent never promises a guaranteed return or outcome.',
        severity: 'high',
        must_not_say: ['guaranteed return'],
      },
      { key: 'offer_callback', text: 'The agent offers a callback when the issue is not solved.', severity: 'low' },
    ],
    ...overrides,
  };
}

async function newCriterion() {
  const res = await as('acme_manager', '/api/evaluation-criteria', {
    method: 'POST',
    body: { name: `Criterion ${uniq()}`, category: 'opening', max_points: 10 },
  });
  expect(res.status).toBe(201);
  return json(res);
}

async function create(who: Who, body: Record<string, unknown>) {
  const res = await as(who, BASE, { method: 'POST', body });
  const out = await json(res);
  expect(res.status, JSON.stringify(out).slice(0, 400)).toBe(201);
  return out;
}

describe('system templates', () => {
  it('lists the platform templates read-only beside the tenant ones, for a manager', async () => {
    const mine = await create('acme_admin', customBody());
    const res = await as('acme_manager', BASE);
    expect(res.status).toBe(200);
    const { data } = await json(res);
    const system = data.filter((t: { is_system: boolean }) => t.is_system);
    expect(system.map((t: { id: string }) => t.id)).toEqual([
      'pci_dss',
      'tcpa_fdcpa_opening',
      'hipaa_identity',
      'gdpr_recording',
    ]);
    for (const t of system) {
      expect(t.read_only).toBe(true);
      expect(t.requirements.length).toBeGreaterThanOrEqual(3);
      for (const r of t.requirements) expect(['low', 'medium', 'high', 'critical']).toContain(r.severity);
    }
    const pci = system.find((t: { id: string }) => t.id === 'pci_dss');
    expect(pci.regulation_type).toBe('PCI_DSS');
    expect(pci.requirements.map((r: { key: string }) => r.key)).toContain('no_card_number_repeated');
    const own = data.find((t: { id: string }) => t.id === mine.id);
    expect(own).toMatchObject({ is_system: false, read_only: false, version: 1, name: mine.name });
  });

  it('reads a system template by key, with its one version', async () => {
    const res = await as('acme_manager', `${BASE}/gdpr_recording`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ id: 'gdpr_recording', regulation_type: 'GDPR', is_system: true, version: 1 });
    expect(body.versions).toHaveLength(1);
    expect(body.versions[0].requirements).toEqual(body.requirements);
  });

  it.each([
    ['PUT', { name: 'Mine now' }],
    ['DELETE', undefined],
  ] as const)('refuses %s on a system template with 403, saying to copy it', async (method, body) => {
    const problem = await expectProblem(await as('acme_admin', `${BASE}/pci_dss`, { method, body }), 403);
    expect(problem.detail).toMatch(/read-only.*from_system/);
    const after = await json(await as('acme_admin', `${BASE}/pci_dss`));
    expect(after.name).toBe('PCI DSS: card payments by phone');
  });

  it('copies a system template into the tenant, which then edits its copy', async () => {
    const copy = await create('acme_admin', { from_system: 'pci_dss', name: `PCI ${uniq()}` });
    expect(copy).toMatchObject({ source_key: 'pci_dss', regulation_type: 'PCI_DSS', is_system: false, version: 1 });
    const system = await json(await as('acme_admin', `${BASE}/pci_dss`));
    expect(copy.requirements).toEqual(system.requirements);
    const edited = copy.requirements.map((r: { key: string; severity: string }) =>
      r.key === 'card_details_not_by_email_or_chat' ? { ...r, severity: 'high' } : r,
    );
    const res = await as('acme_admin', `${BASE}/${copy.id}`, { method: 'PUT', body: { requirements: edited } });
    expect(res.status).toBe(200);
    const updated = await json(res);
    expect(updated.version).toBe(2);
    expect(
      updated.requirements.find((r: { key: string }) => r.key === 'card_details_not_by_email_or_chat').severity,
    ).toBe('high');
    const untouched = await json(await as('acme_admin', `${BASE}/pci_dss`));
    expect(untouched.requirements).toEqual(system.requirements);
  });

  it('answers 404 for an unknown system key and 422 for an unknown from_system', async () => {
    await expectProblem(await as('acme_manager', `${BASE}/no_such_template`), 404);
    const problem = await expectProblem(
      await as('acme_admin', BASE, { method: 'POST', body: { from_system: 'sox' } }),
      422,
    );
    expect(problem.errors?.map((e) => e.field)).toEqual(['from_system']);
  });
});

describe('tenant templates', () => {
  it('creates, reads, updates with versions, and deletes; each change audited', async () => {
    const created = await create('acme_admin', customBody());
    expect(created.requirements[1]).toEqual({
      key: 'offer_callback',
      title: null,
      text: 'The agent offers a callback when the issue is not solved.',
      severity: 'low',
      must_say: [],
      must_not_say: [],
    });

    // is_default is not content: no new version. Flipped and restored inside one transaction, so
    // no call scored meanwhile sees this template as the tenant's default.
    const [, flaggedRows] = await asTenant('acme', acmeAdmin, 'tenant_admin', [
      { query: 'update compliance_templates set is_default = true where id = $1', params: [created.id] },
      { query: 'select version, is_default from compliance_templates where id = $1', params: [created.id] },
      { query: 'update compliance_templates set is_default = false where id = $1', params: [created.id] },
    ]);
    expect(flaggedRows).toEqual([{ version: 1, is_default: true }]);
    const renamed = await json(
      await as('acme_admin', `${BASE}/${created.id}`, {
        method: 'PUT',
        body: { requirements: [{ key: 'no_guarantees', text: 'Never promise returns.', severity: 'critical' }] },
      }),
    );
    expect(renamed.version).toBe(2);

    const detail = await json(await as('acme_manager', `${BASE}/${created.id}`));
    expect(detail.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(detail.versions[0].requirements.map((r: { key: string }) => r.key)).toEqual([
      'no_guarantees',
      'offer_callback',
    ]);
    expect(detail.versions[1].requirements).toEqual([
      {
        key: 'no_guarantees',
        title: null,
        text: 'Never promise returns.',
        severity: 'critical',
        must_say: [],
        must_not_say: [],
      },
    ]);

    const del = await as('acme_admin', `${BASE}/${created.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    await expectProblem(await as('acme_manager', `${BASE}/${created.id}`), 404);

    const [audit, versions] = await asTenant('acme', acmeAdmin, 'tenant_admin', [
      {
        query:
          "select action from audit_logs where entity_type = 'compliance_templates' and entity_id = $1 order by seq",
        params: [created.id],
      },
      {
        query: 'select version from compliance_template_versions where template_id = $1 order by version',
        params: [created.id],
      },
    ]);
    expect(audit!.map((r) => r.action)).toEqual([
      'compliance_templates.insert',
      'compliance_templates.update',
      'compliance_templates.update',
      'compliance_templates.update',
      'compliance_templates.delete',
    ]);
    expect(versions, 'versions outlive the template, so past results stay explainable').toEqual([
      { version: 1 },
      { version: 2 },
    ]);
  });

  it('refuses a duplicate name with 409', async () => {
    const body = customBody();
    await create('acme_admin', body);
    const problem = await expectProblem(await as('acme_admin', BASE, { method: 'POST', body }), 409);
    expect(problem.detail).toMatch(/name/);
  });

  it('attaches to a criteria set, and refuses to delete an attached template', async () => {
    const template = await create('acme_admin', customBody());
    const criterion = await newCriterion();
    const setRes = await as('acme_manager', '/api/evaluation-criteria/sets', {
      method: 'POST',
      body: { name: `Set ${uniq()}`, criteria_ids: [criterion.id] },
    });
    expect(setRes.status).toBe(201);
    const set = await json(setRes);
    expect(set.compliance_template_ids).toEqual([]);

    const attached = await as('acme_manager', `/api/evaluation-criteria/sets/${set.id}`, {
      method: 'PUT',
      body: { compliance_template_ids: [template.id] },
    });
    expect(attached.status).toBe(200);
    const attachedSet = await json(attached);
    expect(attachedSet).toMatchObject({ compliance_template_ids: [template.id], version: set.version + 1 });
    const read = await json(await as('acme_manager', `${BASE}/${template.id}`));
    expect(read.criteria_set_ids).toEqual([set.id]);

    const problem = await expectProblem(await as('acme_admin', `${BASE}/${template.id}`, { method: 'DELETE' }), 409);
    expect(problem.detail).toContain(set.name);
    expect((await as('acme_manager', `${BASE}/${template.id}`)).status).toBe(200);

    await as('acme_manager', `/api/evaluation-criteria/sets/${set.id}`, {
      method: 'PUT',
      body: { compliance_template_ids: [] },
    });
    expect((await as('acme_admin', `${BASE}/${template.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses to attach an unknown or foreign template, naming the field, and changes nothing', async () => {
    const foreign = await create('globex_admin', customBody());
    const criterion = await newCriterion();
    const set = await json(
      await as('acme_manager', '/api/evaluation-criteria/sets', {
        method: 'POST',
        body: { name: `Set ${uniq()}`, criteria_ids: [criterion.id] },
      }),
    );
    for (const id of [foreign.id, crypto.randomUUID()]) {
      const problem = await expectProblem(
        await as('acme_manager', `/api/evaluation-criteria/sets/${set.id}`, {
          method: 'PUT',
          body: { compliance_template_ids: [id] },
        }),
        422,
      );
      expect(problem.errors).toEqual([{ field: 'compliance_template_ids', message: expect.any(String) }]);
    }
    const problem = await expectProblem(
      await as('acme_manager', '/api/evaluation-criteria/sets', {
        method: 'POST',
        body: { name: `Set ${uniq()}`, criteria_ids: [criterion.id], compliance_template_ids: [foreign.id] },
      }),
      422,
    );
    expect(problem.errors?.map((e) => e.field)).toEqual(['compliance_template_ids']);
    const sets = (await json(await as('acme_manager', '/api/evaluation-criteria/sets'))).data;
    expect(sets.find((s: { id: string }) => s.id === set.id)).toMatchObject({
      compliance_template_ids: [],
      version: 1,
    });
    await expectProblem(
      await as('acme_manager', `/api/evaluation-criteria/sets/${crypto.randomUUID()}`, {
        method: 'PUT',
        body: { name: 'x' },
      }),
      404,
    );
  });
});

describe('bad input', () => {
  const requirement = { key: 'k1', text: 'Says hello.', severity: 'low' };
  it.each([
    ['a missing name', { regulation_type: 'CUSTOM', requirements: [requirement] }, ['name']],
    ['an unknown regulation', { ...customBody(), regulation_type: 'SOX' }, ['regulation_type']],
    ['no requirements', { ...customBody(), requirements: [] }, ['requirements']],
    [
      'a duplicate key',
      { ...customBody(), requirements: [requirement, { ...requirement, text: 'Again.' }] },
      ['requirements.1.key'],
    ],
    ['a bad key', { ...customBody(), requirements: [{ ...requirement, key: 'Has Spaces' }] }, ['requirements.0.key']],
    [
      'an unknown severity',
      { ...customBody(), requirements: [{ ...requirement, severity: 'severe' }] },
      ['requirements.0.severity'],
    ],
    ['empty text', { ...customBody(), requirements: [{ ...requirement, text: '  ' }] }, ['requirements.0.text']],
    [
      'an unknown requirement field',
      { ...customBody(), requirements: [{ ...requirement, weight: 3 }] },
      ['requirements.0.weight'],
    ],
    [
      'too many examples',
      { ...customBody(), requirements: [{ ...requirement, must_say: Array.from({ length: 11 }, (_, i) => `p${i}`) }] },
      ['requirements.0.must_say'],
    ],
  ])('answers 422 for %s, naming the field, and writes nothing', async (_, body, fields) => {
    const name = (body as { name?: string }).name;
    const problem = await expectProblem(await as('acme_admin', BASE, { method: 'POST', body }), 422);
    expect(problem.errors?.map((e) => e.field)).toEqual(fields);
    if (name) {
      const [rows] = await asTenant('acme', acmeAdmin, 'tenant_admin', [
        { query: 'select count(*)::int as n from compliance_templates where name = $1', params: [name] },
      ]);
      expect(rows).toEqual([{ n: 0 }]);
    }
  });

  it('answers 422 for an empty update and a malformed id, 404 for an unknown one', async () => {
    const created = await create('acme_admin', customBody());
    const empty = await expectProblem(
      await as('acme_admin', `${BASE}/${created.id}`, { method: 'PUT', body: {} }),
      422,
    );
    expect(empty.errors?.length).toBeGreaterThan(0);
    const dup = await expectProblem(
      await as('acme_admin', `${BASE}/${created.id}`, {
        method: 'PUT',
        body: { requirements: [requirement, requirement] },
      }),
      422,
    );
    expect(dup.errors?.map((e) => e.field)).toEqual(['requirements.1.key']);
    const after = await json(await as('acme_admin', `${BASE}/${created.id}`));
    expect(after.version, 'a refused update writes no version').toBe(1);
    const bad = await expectProblem(await as('acme_admin', `${BASE}/not%20an%20id`), 422);
    expect(bad.errors?.map((e) => e.field)).toEqual(['template_id']);
    await expectProblem(
      await as('acme_admin', `${BASE}/${crypto.randomUUID()}`, { method: 'PUT', body: { name: 'x' } }),
      404,
    );
  });
});

describe('roles and tenant isolation', () => {
  it.each(['acme_agent', 'acme_manager'] as const)('%s cannot write templates', async (who) => {
    await expectProblem(await as(who, BASE, { method: 'POST', body: customBody() }), 403);
    const created = await create('acme_admin', customBody());
    await expectProblem(await as(who, `${BASE}/${created.id}`, { method: 'PUT', body: { name: 'x' } }), 403);
    await expectProblem(await as(who, `${BASE}/${created.id}`, { method: 'DELETE' }), 403);
  });

  it('an agent cannot list or read templates', async () => {
    await expectProblem(await as('acme_agent', BASE), 403);
    await expectProblem(await as('acme_agent', `${BASE}/pci_dss`), 403);
  });

  it("keeps one tenant's templates from another through the API", async () => {
    const globex = await create('globex_admin', customBody());
    await expectProblem(await as('acme_manager', `${BASE}/${globex.id}`), 404);
    await expectProblem(await as('acme_admin', `${BASE}/${globex.id}`, { method: 'PUT', body: { name: 'x' } }), 404);
    await expectProblem(await as('acme_admin', `${BASE}/${globex.id}`, { method: 'DELETE' }), 404);
    const { data } = await json(await as('acme_admin', BASE));
    expect(data.map((t: { id: string }) => t.id)).not.toContain(globex.id);
    expect((await as('globex_admin', `${BASE}/${globex.id}`)).status).toBe(200);
  });

  it('keeps them apart in the database itself, as qa_app', async () => {
    const globex = await create('globex_admin', customBody());
    const [templates, versions, updated, deleted] = await asTenant('acme', acmeAdmin, 'tenant_admin', [
      { query: 'select distinct tenant_id from compliance_templates' },
      {
        query: 'select count(*)::int as n from compliance_template_versions where template_id = $1',
        params: [globex.id],
      },
      { query: "update compliance_templates set name = 'hijacked' where id = $1 returning id", params: [globex.id] },
      { query: 'delete from compliance_templates where id = $1 returning id', params: [globex.id] },
    ]);
    expect(templates!.every((r) => r.tenant_id === 'acme')).toBe(true);
    expect(versions).toEqual([{ n: 0 }]);
    expect(updated).toEqual([]);
    expect(deleted).toEqual([]);
    await expect(
      asTenant('acme', acmeAdmin, 'tenant_admin', [
        {
          query:
            "insert into compliance_templates (tenant_id, name, regulation_type, requirements) values ('globex', 'Smuggled', 'CUSTOM', '[{}]')",
        },
      ]),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      asTenant('acme', acmeAdmin, 'tenant_admin', [{ query: 'update compliance_template_versions set version = 99' }]),
    ).rejects.toMatchObject({ code: '42501' });
  });
});

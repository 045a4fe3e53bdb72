/**
 * Compliance templates: the platform's read-only system templates, tenant copies and their
 * versions, attachment to criteria sets, and scoring a call's transcript against them.
 */
import { describe, expect, it } from 'vitest';
import { as, asTenant, call, deliver, expectProblem, IDS, json, type Who } from './helpers';

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

async function newCriterion(overrides: Record<string, unknown> = {}) {
  const res = await as('acme_manager', '/api/evaluation-criteria', {
    method: 'POST',
    body: { name: `Criterion ${uniq()}`, category: 'opening', max_points: 10, ...overrides },
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

// ---- scoring ----------------------------------------------------------------------------------

const AGENT = IDS['agent@acme.test']!;
const PCI_CALL = [
  ['agent', 'Thank you for calling Acme billing, my name is Sam. How can I help?'],
  ['customer', 'I would like to pay my bill by card.'],
  ['agent', 'Sure, go ahead with the card number.'],
  ['customer', 'It is 4111 1111 1111 1111.'],
  ['agent', 'Let me read that back: 4111 1111 1111 1111, correct?'],
  ['customer', 'Yes. The security code is 737.'],
  ['agent', 'Thanks, so the security code is 737. The payment went through.'],
  ['customer', 'Great, thanks.'],
] as const;
const NO_CARD_CALL = [
  ['agent', 'Thank you for calling Acme, my name is Sam. How can I help?'],
  ['customer', 'What are your opening hours?'],
  ['agent', 'We are open nine to five on weekdays.'],
] as const;

/** A transcribed call of acme's scored with `setId`, ready for the evaluate step. */
async function transcribedCall(setId: string, lines: readonly (readonly [string, string])[]) {
  const id = crypto.randomUUID();
  const utterances = lines.map(([role, text], i) => ({
    speaker: role === 'agent' ? 'A' : 'B',
    role,
    text,
    start_ms: i * 5000,
    end_ms: i * 5000 + 4000,
    confidence: 0.95,
  }));
  await asTenant('acme', 'system:pipeline', 'system', [
    {
      query: `insert into calls (id, tenant_id, agent_id, source, status, audio_key, criteria_set_id, tags)
              values ($1, 'acme', $2, 'upload', 'transcribed', $3, $4, array['compliance-test'])`,
      params: [id, AGENT, `acme/calls/${id}/audio`, setId],
    },
    {
      query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles)
              values ($1, 'acme', $2, $3, $4::jsonb, '{"A":"agent","B":"customer"}'::jsonb)`,
      params: [id, `test-${id}`, lines.map(([, t]) => t).join(' '), JSON.stringify(utterances)],
    },
  ]);
  return id;
}

async function pciSet() {
  const template = await create('acme_admin', { from_system: 'pci_dss', name: `PCI ${uniq()}` });
  const criterion = await newCriterion();
  const res = await as('acme_manager', '/api/evaluation-criteria/sets', {
    method: 'POST',
    body: { name: `PCI set ${uniq()}`, criteria_ids: [criterion.id], compliance_template_ids: [template.id] },
  });
  expect(res.status).toBe(201);
  return { template, set: await json(res) };
}

const evaluateMsg = (callId: string, runKey = 'pipeline') =>
  ({ step: 'evaluate', tenant_id: 'acme', call_id: callId, run_key: runKey }) as const;
const alertsMsg = (callId: string) => ({ step: 'alerts', tenant_id: 'acme', call_id: callId }) as const;

async function evaluationsOf(callId: string) {
  const [rows, alerts] = await asTenant('acme', 'system:pipeline', 'system', [
    {
      query: 'select run_key, compliance from evaluations where call_id = $1 order by created_at, run_key',
      params: [callId],
    },
    {
      query: `select severity, title, dedupe_key from alerts where entity_id = $1 and type = 'compliance_violation' order by dedupe_key`,
      params: [callId],
    },
  ]);
  return {
    evaluations: rows as { run_key: string; compliance: Record<string, any>[] }[],
    alerts: alerts as { severity: string; title: string; dedupe_key: string }[],
  };
}

describe('scoring against compliance templates', () => {
  it('judges every requirement of the attached template, with evidence, and alerts once per call and requirement', async () => {
    const { template, set } = await pciSet();
    const callId = await transcribedCall(set.id, PCI_CALL);
    await deliver('qa-pipeline', [evaluateMsg(callId), evaluateMsg(callId), evaluateMsg(callId)]);
    await deliver('qa-pipeline', [alertsMsg(callId), alertsMsg(callId), alertsMsg(callId)]);

    const { evaluations, alerts } = await evaluationsOf(callId);
    expect(evaluations, 'duplicate messages score the call once').toHaveLength(1);
    const items = evaluations[0]!.compliance;
    expect(items.map((i) => [i.requirement_key, i.status])).toEqual([
      ['no_card_number_repeated', 'not_met'],
      ['no_security_code_repeated', 'not_met'],
      ['no_security_code_written', 'met'],
      ['recording_paused_for_card_details', 'not_met'],
      ['card_details_not_by_email_or_chat', 'met'],
    ]);
    for (const item of items) {
      expect(item).toMatchObject({
        template_id: template.id,
        template_name: template.name,
        template_version: 1,
        regulation_type: 'PCI_DSS',
        met: item.status !== 'not_met',
      });
      expect(item.requirement).toBe(
        template.requirements.find((r: { key: string }) => r.key === item.requirement_key).text,
      );
      expect(typeof item.reasoning).toBe('string');
    }
    const readBack = items[0]!;
    expect(readBack.severity).toBe('critical');
    expect(readBack.evidence_quotes).toEqual([
      { quote: 'Let me read that back: 4111 1111 1111 1111, correct?', start_seconds: 20 },
    ]);
    expect(readBack.evidence).toBe('Let me read that back: 4111 1111 1111 1111, correct?');
    expect(items[1]!.evidence_quotes[0].start_seconds).toBe(30);

    const detail = await json(await as('acme_manager', `/api/calls/${callId}`));
    expect(detail.compliance_status.compliant).toBe(false);
    expect(detail.compliance_status.items).toEqual(items);

    // The three high or critical violations, each named; the medium requirement was met.
    expect(alerts).toEqual(
      [
        ['critical', 'Card number not read back', 'no_card_number_repeated'],
        ['critical', 'Security code not repeated', 'no_security_code_repeated'],
        ['high', 'Recording paused or secure entry used', 'recording_paused_for_card_details'],
      ]
        .map(([severity, title, key]) => ({
          severity,
          title: `Compliance requirement missed: ${title}`,
          dedupe_key: `${callId}:compliance:${template.id}:${key}`,
        }))
        .sort((a, b) => a.dedupe_key.localeCompare(b.dedupe_key)),
    );

    // A re-analysis finds the same violations: new results, no new alerts.
    await deliver('qa-pipeline', [evaluateMsg(callId, `reanalysis:${crypto.randomUUID()}`)]);
    await deliver('qa-pipeline', [alertsMsg(callId), alertsMsg(callId)]);
    const after = await evaluationsOf(callId);
    expect(after.evaluations).toHaveLength(2);
    expect(after.alerts).toEqual(alerts);
  });

  it('counts each requirement once per call in the analytics summary, through re-analyses and a delete', async () => {
    const { template, set } = await pciSet();
    const callId = await transcribedCall(set.id, PCI_CALL);
    const ofTemplate = async () => {
      const summary = await json(await as('acme_manager', '/api/analytics/summary'));
      return Object.fromEntries(
        (summary.violations_by_requirement as { requirement_id: string; checked: number; violations: number }[])
          .filter((r) => r.requirement_id.startsWith(`${template.id}/`))
          .map((r) => [r.requirement_id.slice(template.id.length + 1), [r.checked, r.violations]]),
      );
    };
    await deliver('qa-pipeline', [evaluateMsg(callId), evaluateMsg(callId)]);
    const expected = {
      no_card_number_repeated: [1, 1],
      no_security_code_repeated: [1, 1],
      no_security_code_written: [1, 0],
      recording_paused_for_card_details: [1, 1],
      card_details_not_by_email_or_chat: [1, 0],
    };
    expect(await ofTemplate(), 'duplicate messages count once').toEqual(expected);

    const again = evaluateMsg(callId, `reanalysis:${crypto.randomUUID()}`);
    await deliver('qa-pipeline', [again, again]);
    expect(await ofTemplate(), 'a re-analysis replaces the call’s figures').toEqual(expected);

    expect((await as('acme_manager', `/api/calls/${callId}`, { method: 'DELETE' })).status).toBe(204);
    expect(await ofTemplate(), 'a deleted call no longer counts').toEqual({});
  });

  it('keeps the requirement version an old evaluation was judged against', async () => {
    const { template, set } = await pciSet();
    const callId = await transcribedCall(set.id, PCI_CALL);
    await deliver('qa-pipeline', [evaluateMsg(callId)]);
    const original = template.requirements[0];
    const reworded = { ...original, text: `${original.text} Reading back the first six digits is refused too.` };
    const put = await as('acme_admin', `${BASE}/${template.id}`, {
      method: 'PUT',
      body: { requirements: [reworded, ...template.requirements.slice(1)] },
    });
    expect((await json(put)).version).toBe(2);
    await deliver('qa-pipeline', [evaluateMsg(callId, `reanalysis:${crypto.randomUUID()}`)]);

    const { evaluations } = await evaluationsOf(callId);
    const [first, second] = evaluations.map((e) => e.compliance[0]!);
    expect(first).toMatchObject({ template_version: 1, requirement: original.text });
    expect(second).toMatchObject({ template_version: 2, requirement: reworded.text });
    const history = await json(await as('acme_manager', `${BASE}/${template.id}`));
    expect(history.versions[0].requirements[0].text, 'the version named by the old result').toBe(original.text);
    expect(history.versions[1].requirements[0].text).toBe(reworded.text);
  });

  it('answers not applicable when the call takes no card payment, and raises nothing', async () => {
    const { set } = await pciSet();
    const callId = await transcribedCall(set.id, NO_CARD_CALL);
    await deliver('qa-pipeline', [evaluateMsg(callId)]);
    await deliver('qa-pipeline', [alertsMsg(callId)]);
    const { evaluations, alerts } = await evaluationsOf(callId);
    expect(evaluations[0]!.compliance.map((i) => i.status)).toEqual(Array(5).fill('not_applicable'));
    expect(alerts).toEqual([]);
    const detail = await json(await as('acme_manager', `/api/calls/${callId}`));
    expect(detail.compliance_status.compliant).toBe(true);
  });

  it('keeps the free-form compliance list for a set without templates', async () => {
    const criterion = await newCriterion({
      name: `Recording disclosure ${uniq()}`,
      category: 'compliance',
      description: 'States that the call is recorded.',
    });
    const set = await json(
      await as('acme_manager', '/api/evaluation-criteria/sets', {
        method: 'POST',
        body: { name: `Plain ${uniq()}`, criteria_ids: [criterion.id] },
      }),
    );
    const callId = await transcribedCall(set.id, PCI_CALL);
    await deliver('qa-pipeline', [evaluateMsg(callId)]);
    const { evaluations } = await evaluationsOf(callId);
    expect(evaluations[0]!.compliance).toEqual([{ requirement: criterion.name, met: false, evidence: null }]);
  });
});

describe("a tenant's default templates", () => {
  it('judges calls whose criteria set names no templates against the default ones', async () => {
    // A tenant of its own: a default template changes how every call of its tenant is judged.
    const tenant = `ct${uniq()}`;
    const created = await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: tenant,
        display_name: 'Defaults Ltd',
        subdomain: tenant,
        admin: { email: `admin@${tenant}.test`, first_name: 'D', last_name: 'F', password: 'a-long-password-1' },
      },
    });
    expect(created.status).toBe(201);
    const login = await json(
      await call('/api/auth/login', {
        method: 'POST',
        body: { username: `admin@${tenant}.test`, password: 'a-long-password-1', tenant_id: tenant },
      }),
    );
    const headers = { authorization: `Bearer ${login.access_token}` };
    const gdpr = await json(
      await call(BASE, { method: 'POST', headers, body: { from_system: 'gdpr_recording', is_default: true } }),
    );
    expect(gdpr).toMatchObject({ is_default: true, source_key: 'gdpr_recording', version: 1 });

    const callId = crypto.randomUUID();
    const lines = [
      'Hello, this call is recorded for quality and training purposes. Is that okay with you?',
      'How can I help today?',
    ];
    await asTenant(tenant, 'system:pipeline', 'system', [
      {
        query: `insert into calls (id, tenant_id, source, status, audio_key) values ($1, $2, 'upload', 'transcribed', $3)`,
        params: [callId, tenant, `${tenant}/calls/${callId}/audio`],
      },
      {
        query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles)
                values ($1, $2, $3, $4, $5::jsonb, '{"A":"agent"}'::jsonb)`,
        params: [
          callId,
          tenant,
          `test-${callId}`,
          lines.join(' '),
          JSON.stringify(
            lines.map((text, i) => ({
              speaker: 'A',
              role: 'agent',
              text,
              start_ms: i * 4000,
              end_ms: i * 4000 + 3000,
              confidence: 0.9,
            })),
          ),
        ],
      },
    ]);
    await deliver('qa-pipeline', [{ step: 'evaluate', tenant_id: tenant, call_id: callId, run_key: 'pipeline' }]);
    const [rows] = await asTenant(tenant, 'system:pipeline', 'system', [
      { query: 'select compliance from evaluations where call_id = $1', params: [callId] },
    ]);
    const items = rows![0]!.compliance as Record<string, unknown>[];
    expect(items.map((i) => [i.template_id, i.requirement_key, i.status])).toEqual([
      [gdpr.id, 'recording_notice', 'met'],
      [gdpr.id, 'recording_purpose', 'met'],
      [gdpr.id, 'consent_or_objection', 'met'],
      [gdpr.id, 'data_rights_pointer', 'not_applicable'],
    ]);
    expect(items[0]!.evidence_quotes).toEqual([{ quote: lines[0], start_seconds: 0 }]);
  });
});

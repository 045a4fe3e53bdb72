import { describe, expect, it } from 'vitest';
import { as, expectProblem, json } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);

describe('evaluation criteria', () => {
  it('lists the system templates to everyone', async () => {
    const body = await json(await as('acme_agent', '/api/evaluation-criteria/templates'));
    const ids = body.data.map((t: { id: string }) => t.id);
    for (const id of [
      'greeting',
      'identity_verification',
      'active_listening',
      'empathy',
      'product_knowledge',
      'resolution',
      'compliance_disclosure',
      'closing',
    ])
      expect(ids).toContain(id);
    expect(body.data[0]).toHaveProperty('default_points');
  });

  it('creates custom and template-based criteria; agents may not', async () => {
    const custom = await as('acme_manager', '/api/evaluation-criteria', {
      method: 'POST',
      body: {
        name: `Upsell ${uniq()}`,
        description: 'Offers the premium plan',
        category: 'sales',
        max_points: 20,
        evaluation_prompts: ['Did the agent offer premium?'],
        auto_fail: false,
      },
    });
    expect(custom.status).toBe(201);
    expect(await json(custom)).toMatchObject({ is_custom: true, version: 1, max_points: 20, is_active: true });
    const fromTemplate = await json(
      await as('acme_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { template_id: 'empathy', name: `Empathy ${uniq()}`, max_points: 25 },
      }),
    );
    expect(fromTemplate).toMatchObject({
      is_custom: false,
      template_id: 'empathy',
      category: 'communication',
      max_points: 25,
    });
    await expectProblem(
      await as('acme_agent', '/api/evaluation-criteria', {
        method: 'POST',
        body: { name: 'x', category: 'y', max_points: 5 },
      }),
      403,
    );
    const missing = await expectProblem(
      await as('acme_manager', '/api/evaluation-criteria', { method: 'POST', body: { description: 'no name' } }),
      422,
    );
    expect(missing.errors?.map((e) => e.field).sort()).toEqual(['category', 'max_points', 'name']);
    await expectProblem(
      await as('acme_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { name: 'x', category: 'y', max_points: 500 },
      }),
      422,
    );
  });

  it('versions every content change and keeps the history', async () => {
    const c = await json(
      await as('acme_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { name: `Hold ${uniq()}`, category: 'process', max_points: 10 },
      }),
    );
    const v2 = await json(
      await as('acme_manager', `/api/evaluation-criteria/${c.id}`, { method: 'PUT', body: { max_points: 15 } }),
    );
    expect(v2.version).toBe(2);
    const same = await json(
      await as('acme_manager', `/api/evaluation-criteria/${c.id}`, { method: 'PUT', body: { is_active: true } }),
    );
    expect(same.version, 'toggling activity is not a content change').toBe(2);
    const detail = await json(await as('acme_agent', `/api/evaluation-criteria/${c.id}`));
    expect(detail.versions.map((v: { version: number; max_points: number }) => [v.version, v.max_points])).toEqual([
      [1, 10],
      [2, 15],
    ]);
  });

  it('filters to active criteria and deletes an unused custom one', async () => {
    const c = await json(
      await as('acme_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { name: `Temp ${uniq()}`, category: 'x', max_points: 5 },
      }),
    );
    await as('acme_manager', `/api/evaluation-criteria/${c.id}`, { method: 'PUT', body: { is_active: false } });
    const active = await json(await as('acme_agent', '/api/evaluation-criteria?active_only=true'));
    expect(active.data.map((x: { id: string }) => x.id)).not.toContain(c.id);
    const del = await json(await as('acme_manager', `/api/evaluation-criteria/${c.id}`, { method: 'DELETE' }));
    expect(del).toEqual({ deleted: true, deactivated: false });
    await expectProblem(await as('acme_manager', `/api/evaluation-criteria/${c.id}`), 404);
  });

  it('keeps template copies: they are deactivated, never deleted', async () => {
    const t = await json(
      await as('acme_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { template_id: 'closing', name: `Closing ${uniq()}` },
      }),
    );
    await expectProblem(await as('acme_manager', `/api/evaluation-criteria/${t.id}`, { method: 'DELETE' }), 409);
  });

  it("creates sets with one default per tenant, from this tenant's active criteria only", async () => {
    const a = await json(
      await as('acme_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { name: `A ${uniq()}`, category: 'x', max_points: 10 },
      }),
    );
    const b = await json(
      await as('acme_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { name: `B ${uniq()}`, category: 'x', max_points: 10 },
      }),
    );
    const first = await json(
      await as('acme_manager', '/api/evaluation-criteria/sets', {
        method: 'POST',
        body: { name: `S1 ${uniq()}`, criteria_ids: [a.id, b.id], is_default: true },
      }),
    );
    expect(first).toMatchObject({ criteria_count: 2, is_default: true, version: 1 });
    const second = await json(
      await as('acme_manager', '/api/evaluation-criteria/sets', {
        method: 'POST',
        body: { name: `S2 ${uniq()}`, criteria_ids: [a.id], is_default: true },
      }),
    );
    const sets = await json(await as('acme_agent', '/api/evaluation-criteria/sets'));
    const defaults = sets.data.filter((s: { is_default: boolean }) => s.is_default);
    expect(defaults.map((s: { id: string }) => s.id)).toEqual([second.id]);

    const globexCriterion = await json(
      await as('globex_manager', '/api/evaluation-criteria', {
        method: 'POST',
        body: { name: `G ${uniq()}`, category: 'x', max_points: 10 },
      }),
    );
    const foreign = await expectProblem(
      await as('acme_manager', '/api/evaluation-criteria/sets', {
        method: 'POST',
        body: { name: `Bad ${uniq()}`, criteria_ids: [a.id, globexCriterion.id] },
      }),
      422,
    );
    expect(foreign.errors?.[0]?.field).toBe('criteria_ids');
    await expectProblem(await as('acme_manager', `/api/evaluation-criteria/${globexCriterion.id}`), 404);
  });
});

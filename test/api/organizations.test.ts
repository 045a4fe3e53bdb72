import { describe, expect, it } from 'vitest';
import { DEMO } from '../../dev/db/demo-ids';
import { as, expectProblem, IDS, json } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const A = DEMO.acme;

describe('organizations, departments and teams', () => {
  it('lists the seeded organization with its user count', async () => {
    const body = await json(await as('acme_agent', '/api/organizations'));
    const acme = body.data.find((o: { id: string }) => o.id === A.organization);
    expect(acme).toMatchObject({ name: 'Acme Support', timezone: 'America/New_York' });
    expect(acme.users_count).toBeGreaterThanOrEqual(3);
  });

  it('creates an organization, a department in it and a team led by a user', async () => {
    const org = await json(
      await as('acme_admin', '/api/organizations', {
        method: 'POST',
        body: { name: `Org ${uniq()}`, industry: 'Finance', size: '11-50', timezone: 'Europe/Berlin' },
      }),
    );
    expect(org).toMatchObject({ industry: 'Finance', timezone: 'Europe/Berlin', users_count: 0 });
    const dept = await as('acme_manager', `/api/organizations/${org.id}/departments`, {
      method: 'POST',
      body: { name: 'Collections', description: 'Late payers' },
    });
    expect(dept.status).toBe(201);
    const d = await json(dept);
    const team = await json(
      await as('acme_manager', `/api/organizations/${org.id}/teams`, {
        method: 'POST',
        body: { name: 'Night shift', department_id: d.id, team_lead_id: IDS['manager@acme.test'] },
      }),
    );
    expect(team).toMatchObject({
      organization_id: org.id,
      department_id: d.id,
      team_lead_id: IDS['manager@acme.test'],
    });
    const teams = await json(await as('acme_agent', `/api/organizations/${org.id}/teams?department_id=${d.id}`));
    expect(teams.data.map((t: { id: string }) => t.id)).toEqual([team.id]);
    const depts = await json(await as('acme_agent', `/api/organizations/${org.id}/departments`));
    expect(depts.data.map((x: { name: string }) => x.name)).toEqual(['Collections']);
  });

  it('answers 404 for an organization that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    await expectProblem(await as('acme_agent', `/api/organizations/${missing}`), 404);
    await expectProblem(
      await as('acme_manager', `/api/organizations/${missing}/teams`, { method: 'POST', body: { name: 'Ghost' } }),
      404,
    );
  });

  it('refuses a team lead who is not a user of the tenant', async () => {
    const body = await expectProblem(
      await as('acme_manager', `/api/organizations/${A.organization}/teams`, {
        method: 'POST',
        body: { name: `T ${uniq()}`, team_lead_id: IDS['manager@globex.test'] },
      }),
      422,
    );
    expect(body.errors?.[0]?.field).toBe('team_lead_id');
  });
});

import { env } from 'cloudflare:workers';
import { abortAllDurableObjects, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SPENT_TICKET_RETENTION_MS, TenantHub, type Frame } from '../../durable-objects/tenant-hub';
import { DEMO } from '../../dev/db/demo-ids';
import { signTicket } from '../../src/services/tickets';
import { as, call, callForm, expectProblem, IDS, json, uploadCall, wavBytes, type Who } from './helpers';
import { live, openSocket, type Live } from './live-socket';

const hub = (tenant: string) => env.TENANT_HUB.get(env.TENANT_HUB.idFromName(tenant));

async function ticketFor(who: Who, filter: object = {}) {
  const res = await as(who, '/api/command-center/tickets', { method: 'POST', body: filter });
  expect(res.status).toBe(201);
  return json<{ ticket: string; expires_in: number; url: string }>(res);
}

async function connect(who: Who, filter: object = {}): Promise<Live> {
  const t = await ticketFor(who, filter);
  const socket = live(await openSocket(t.url));
  await socket.next('snapshot');
  return socket;
}

async function manualAlert(who: Who, body: object = {}) {
  return as(who, '/api/command-center/alerts', {
    method: 'POST',
    body: { type: 'manual', severity: 'high', title: 'Check queue 3', ...body },
  });
}

describe('command center tickets and sockets', () => {
  it('issues a short-lived ticket and upgrades with it, once', async () => {
    const t = await ticketFor('acme_manager');
    expect(t.expires_in).toBeLessThanOrEqual(30);
    expect(t.url).toContain('/api/command-center/ws?tenant=acme&ticket=');
    const first = await openSocket(t.url);
    expect(first.status).toBe(101);
    const socket = live(first);
    const snapshot = await socket.next('snapshot');
    expect(snapshot.data).toHaveProperty('agent_statuses');
    expect(snapshot.data).toHaveProperty('metrics');
    const reused = await openSocket(t.url);
    expect(reused.status, 'a ticket is spent by its first use').toBe(401);
    expect(reused.webSocket).toBeFalsy();
    socket.ws.close();
  });

  it('refuses forged, expired, other-tenant and disallowed-origin upgrades', async () => {
    const t = await ticketFor('acme_manager');
    const [body, sig] = new URL(t.url).searchParams.get('ticket')!.split('.');
    const forged = `${btoa(atob(body!.replace(/-/g, '+').replace(/_/g, '/')).replace('"manager"', '"tenant_admin"')).replace(/=+$/, '')}.${sig}`;
    await expectProblem(await openSocket(`http://api.test/api/command-center/ws?tenant=acme&ticket=${forged}`), 401);
    await expectProblem(await openSocket(t.url.replace('tenant=acme', 'tenant=globex')), 401);
    const expired = await signTicket(
      env.TICKET_SECRET,
      { tenant: 'acme', user: IDS['manager@acme.test']!, role: 'manager', team: null, department: null, filter: {} },
      Date.now() - 60_000,
    );
    await expectProblem(
      await openSocket(
        `http://api.test/api/command-center/ws?tenant=acme&ticket=${encodeURIComponent(expired.ticket)}`,
      ),
      401,
    );
    const wrongKey = await signTicket('not-the-ticket-secret-but-long-enough-000', {
      tenant: 'acme',
      user: IDS['manager@acme.test']!,
      role: 'manager',
      team: null,
      department: null,
      filter: {},
    });
    await expectProblem(
      await openSocket(
        `http://api.test/api/command-center/ws?tenant=acme&ticket=${encodeURIComponent(wrongKey.ticket)}`,
      ),
      401,
    );
    const fresh = await ticketFor('acme_manager');
    await expectProblem(await openSocket(fresh.url, { origin: 'https://evil.example' }), 403);
    await expectProblem(await call('/api/command-center/tickets', { method: 'POST', body: {} }), 401);
  });

  it('one-time ticket at its expiry: the hub refuses an expired ticket, and a spent one stays spent past its expiry', async () => {
    // What the Worker hands the hub once it has verified a ticket: the identity, the ticket id
    // and its expiry. A replay verified on the Worker just before the expiry reaches the hub just
    // after it; the hub is called the same way here, with the expiry already behind it.
    const identity = {
      userId: IDS['manager@acme.test'],
      role: 'manager',
      teamId: null,
      departmentId: null,
      filter: {},
    };
    const upgrade = (jti: string, expiresAt: number) =>
      hub('acme').fetch('http://hub/ws', {
        headers: {
          upgrade: 'websocket',
          'x-hub-identity': JSON.stringify(identity),
          'x-hub-ticket-id': jti,
          'x-hub-ticket-expires': String(expiresAt),
        },
      });
    const accepted = async (res: Response, why: string) => {
      expect(res.status, why).toBe(101);
      res.webSocket!.accept();
      res.webSocket!.close();
    };
    const tickets = (jti: string) =>
      runInDurableObject(hub('acme'), (_i, state) =>
        state.storage.sql.exec('SELECT expires_at FROM tickets WHERE jti = ?', jti).toArray(),
      );

    const stale = await upgrade(crypto.randomUUID(), Date.now() - 1);
    expect(stale.status, 'a ticket past its expiry is refused by the hub itself').toBe(401);
    expect(stale.webSocket).toBeFalsy();

    const jti = crypto.randomUUID();
    const expiresAt = Date.now() + 1_000;
    await accepted(await upgrade(jti, expiresAt), 'a fresh ticket is accepted once');
    await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 200));
    // Spending another ticket purges the ids that can no longer be presented; this one, just
    // expired, is not among them.
    await accepted(await upgrade(crypto.randomUUID(), Date.now() + 30_000), 'another fresh ticket');
    expect(await tickets(jti), 'a spent ticket is remembered past its expiry').toHaveLength(1);
    const replay = await upgrade(jti, expiresAt);
    expect(replay.status, 'the replay arriving after the expiry is refused').toBe(401);
    expect(replay.webSocket).toBeFalsy();

    // Ids long past any use are forgotten, so the table does not grow.
    const old = crypto.randomUUID();
    await runInDurableObject(hub('acme'), (_i, state) => {
      state.storage.sql.exec(
        'INSERT INTO tickets (jti, expires_at) VALUES (?, ?)',
        old,
        Date.now() - SPENT_TICKET_RETENTION_MS - 1_000,
      );
    });
    await accepted(await upgrade(crypto.randomUUID(), Date.now() + 30_000), 'a third fresh ticket');
    expect(await tickets(old), 'ids past expiry plus the retention are purged').toHaveLength(0);
    expect(await tickets(jti)).toHaveLength(1);
  });

  it("delivers a tenant's alerts to its managers and nothing to another tenant", async () => {
    const acme = await connect('acme_manager');
    const globex = await connect('globex_manager');
    const res = await manualAlert('acme_manager', { title: 'Isolation probe' });
    expect(res.status).toBe(201);
    const frame = await acme.next('alert.created');
    expect(frame.data).toMatchObject({ title: 'Isolation probe', status: 'open', source: 'manual' });
    expect(frame.seq).toBeGreaterThan(0);
    await globex.none('alert.created');
    acme.ws.close();
    globex.ws.close();
  });

  it('shows an agent only events about itself', async () => {
    const agent = await connect('acme_agent');
    const other = await manualAlert('acme_manager', { title: 'About agent2', agent_id: IDS['agent2@acme.test'] });
    expect(other.status).toBe(201);
    const mine = await manualAlert('acme_manager', { title: 'About agent1', agent_id: IDS['agent@acme.test'] });
    expect(mine.status).toBe(201);
    const frame = await agent.next('alert.created');
    expect(frame.data).toMatchObject({ title: 'About agent1' });
    await new Promise((r) => setTimeout(r, 300));
    expect(
      agent.frames.filter((f) => f.type === 'alert.created').map((f) => (f.data as { title: string }).title),
    ).toEqual(['About agent1']);
    expect(
      agent.frames.some((f) => f.type === 'metrics'),
      'agents get no tenant metrics',
    ).toBe(false);
    agent.ws.close();
  });

  it('fan-out audience: every socket gets exactly what its role and subscription allow', async () => {
    const everyone = await connect('acme_manager');
    const admin = await connect('acme_admin');
    const techTeam = await connect('acme_manager', { team_id: DEMO.acme.teams.techTier1 });
    const billingDept = await connect('acme_manager');
    billingDept.ws.send(JSON.stringify({ type: 'subscribe', department_id: DEMO.acme.departments.billing }));
    await billingDept.next('subscribed');
    const widened = await connect('acme_manager', { team_id: DEMO.acme.teams.techTier1 });
    widened.ws.send(JSON.stringify({ type: 'subscribe' }));
    await widened.next('subscribed');
    const gone = await connect('acme_manager');
    gone.ws.close();
    const agent = await connect('acme_agent');
    const agentTab = await connect('acme_agent');
    const agent2 = await connect('acme_agent2');
    const globex = await connect('globex_manager');
    const globexAgent = await connect('globex_agent');

    // agent@acme is on the billing team and department, agent2@acme on the technical ones.
    const one = `one-${crypto.randomUUID()}`;
    const two = `two-${crypto.randomUUID()}`;
    const all = `all-${crypto.randomUUID()}`;
    expect((await manualAlert('acme_manager', { title: one, agent_id: IDS['agent@acme.test'] })).status).toBe(201);
    expect((await manualAlert('acme_manager', { title: two, agent_id: IDS['agent2@acme.test'] })).status).toBe(201);
    expect((await manualAlert('acme_manager', { title: all })).status).toBe(201);

    const expected: [string, Live, string[]][] = [
      ['a manager without a filter', everyone, [one, two, all]],
      ['a tenant admin', admin, [one, two, all]],
      ["a manager on the technical team's ticket", techTeam, [two, all]],
      ['a manager subscribed to the billing department', billingDept, [one, all]],
      ['a manager who widened a team ticket with an empty subscribe', widened, [one, two, all]],
      ['an agent', agent, [one]],
      ["the same agent's second socket", agentTab, [one]],
      ['another agent of the tenant', agent2, [two]],
      ["another tenant's manager", globex, []],
      ["another tenant's agent", globexAgent, []],
    ];
    const titles = (s: Live) =>
      s.frames.filter((f) => f.type === 'alert.created').map((f) => (f.data as { title: string }).title);
    const deadline = Date.now() + 5_000;
    while (expected.some(([, s, want]) => titles(s).length < want.length) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    for (const [who, socket, want] of expected) expect(titles(socket), who).toEqual(want);
    for (const [who, socket] of [
      ['an agent', agent],
      ['another agent', agent2],
    ] as const)
      expect(
        socket.frames.some((f) => f.type === 'metrics'),
        `${who} gets no tenant metrics`,
      ).toBe(false);
    expect(everyone.frames.some((f) => f.type === 'metrics')).toBe(true);
    expect(
      gone.frames.some((f) => f.type === 'alert.created'),
      'a closed socket gets nothing',
    ).toBe(false);
    for (const [, s] of expected) s.ws.close();
  });

  it('fan-out audience after a wake: a new instance rebuilds it from the socket attachments', async () => {
    // After hibernation the runtime runs the constructor again with the sockets still open; a
    // second instance over the same state is that wake.
    const techTeam = await connect('acme_manager');
    techTeam.ws.send(JSON.stringify({ type: 'subscribe', team_id: DEMO.acme.teams.techTier1 }));
    await techTeam.next('subscribed');
    const agent = await connect('acme_agent');
    const agent2 = await connect('acme_agent2');
    const event = (title: string, agentId: string, teamId: string) => ({
      type: 'alert.updated' as const,
      data: { id: crypto.randomUUID(), status: 'resolved', title },
      agent_id: agentId,
      team_id: teamId,
      department_id: null,
    });
    await runInDurableObject(hub('acme'), async (_instance, state) => {
      const woken = new TenantHub(state, env);
      await woken.publish(event('for agent1', IDS['agent@acme.test']!, DEMO.acme.teams.billingTier1));
      await woken.publish(event('for agent2', IDS['agent2@acme.test']!, DEMO.acme.teams.techTier1));
    });
    const titles = async (s: Live, n: number) => {
      for (let i = 0; i < n; i++) await s.next('alert.updated');
      await new Promise((r) => setTimeout(r, 300));
      return s.frames.filter((f) => f.type === 'alert.updated').map((f) => (f.data as { title: string }).title);
    };
    expect(await titles(techTeam, 1), 'the subscription survives the wake').toEqual(['for agent2']);
    expect(await titles(agent, 1)).toEqual(['for agent1']);
    expect(await titles(agent2, 1)).toEqual(['for agent2']);
    for (const s of [techTeam, agent, agent2]) s.ws.close();
  });

  it('filters by team when a manager subscribes', async () => {
    const socket = await connect('acme_manager');
    socket.ws.send(JSON.stringify({ type: 'subscribe', team_id: DEMO.acme.teams.techTier1 }));
    expect((await socket.next('subscribed')).data).toEqual({ team_id: DEMO.acme.teams.techTier1 });
    await manualAlert('acme_manager', { title: 'Billing team', agent_id: IDS['agent@acme.test'] });
    await manualAlert('acme_manager', { title: 'Tech team', agent_id: IDS['agent2@acme.test'] });
    const frame = await socket.next('alert.created');
    expect((frame.data as { title: string }).title).toBe('Tech team');
    socket.ws.close();
  });

  it('answers malformed frames with an error frame and keeps the socket', async () => {
    const socket = await connect('acme_manager');
    socket.ws.send('this is not json');
    expect((await socket.next('error')).data).toMatchObject({ code: 'malformed_frame' });
    socket.ws.send(JSON.stringify({ type: 'teleport' }));
    expect((await socket.next('error')).data).toMatchObject({ code: 'unknown_type' });
    socket.ws.send(JSON.stringify({ type: 'subscribe', team_id: 'not-a-uuid' }));
    expect((await socket.next('error')).data).toMatchObject({ code: 'invalid_subscription' });
    socket.ws.send(JSON.stringify({ type: 'ping' }));
    await new Promise((r) => setTimeout(r, 200));
    await manualAlert('acme_manager', { title: 'Still alive' });
    expect(((await socket.next('alert.created')).data as { title: string }).title).toBe('Still alive');
    socket.ws.close();
  });

  it('keeps socket identities in their attachments and live state in storage across a restart', async () => {
    // The test runner holds the client end of each socket, which pins the object in memory, so
    // eviction with sockets open cannot be driven from here; what eviction relies on is checked
    // instead: identity serialised on each socket, and state in SQLite rather than memory.
    const manager = await connect('acme_manager');
    const agent = await connect('acme_agent');
    const identities = await runInDurableObject(hub('acme'), (_i, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment() as { userId: string; role: string }),
    );
    expect(identities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: IDS['manager@acme.test'], role: 'manager' }),
        expect.objectContaining({ userId: IDS['agent@acme.test'], role: 'agent' }),
      ]),
    );
    await as('acme_agent2', '/api/command-center/agents/me/status', { method: 'PUT', body: { status: 'on_call' } });
    manager.ws.close();
    agent.ws.close();
    await abortAllDurableObjects();
    const snapshot = await json(await as('acme_manager', '/api/command-center/realtime'));
    expect(snapshot.agent_statuses[IDS['agent2@acme.test']!], 'live state survives a new instance').toMatchObject({
      status: 'on_call',
    });
  });

  it('resumes from the last seq, or sends a fresh snapshot when that is gone', async () => {
    const first = await connect('acme_manager');
    await manualAlert('acme_manager', { title: 'Seen' });
    const seen = await first.next('alert.created');
    first.ws.close();
    await manualAlert('acme_manager', { title: 'Missed' });
    const t = await ticketFor('acme_manager');
    const resumed = live(await openSocket(`${t.url}&resume_from=${seen.seq}`));
    const missed = await resumed.next('alert.created');
    expect((missed.data as { title: string }).title).toBe('Missed');
    expect(
      resumed.frames.some((f) => f.type === 'snapshot'),
      'no snapshot when the buffer covers the gap',
    ).toBe(false);
    resumed.ws.close();
    const t2 = await ticketFor('acme_manager');
    const tooOld = live(await openSocket(`${t2.url}&resume_from=0`));
    await runInDurableObject(hub('acme'), async (_i, state) => {
      state.storage.sql.exec('DELETE FROM events WHERE seq < (SELECT max(seq) FROM events)');
    });
    const t3 = await ticketFor('acme_manager');
    const stale = live(await openSocket(`${t3.url}&resume_from=1`));
    expect((await stale.next('snapshot')).type).toBe('snapshot');
    tooOld.ws.close();
    stale.ws.close();
  });
});

describe('alerts', () => {
  it('moves through open → acknowledged → resolved, refuses other moves with 409, and audits each', async () => {
    const created = await json(await manualAlert('acme_manager', { title: 'State machine' }));
    const put = (status: string) =>
      as('acme_manager', `/api/command-center/alerts/${created.id}`, {
        method: 'PUT',
        body: { status, resolution_notes: 'done' },
      });
    expect((await json(await put('acknowledged'))).status).toBe('acknowledged');
    await expectProblem(await put('acknowledged'), 409);
    const resolved = await json(await put('resolved'));
    expect(resolved).toMatchObject({
      status: 'resolved',
      resolution_notes: 'done',
      resolved_by: IDS['manager@acme.test'],
    });
    await expectProblem(await put('dismissed'), 409);
    await expectProblem(
      await as('acme_manager', '/api/command-center/alerts/00000000-0000-4000-8000-000000000000', {
        method: 'PUT',
        body: { status: 'resolved' },
      }),
      404,
    );
    await expectProblem(
      await as('acme_manager', `/api/command-center/alerts/${created.id}`, { method: 'PUT', body: { status: 'open' } }),
      422,
    );
    const audit = await json(await as('acme_admin', `/api/admin/audit-logs?entity_type=alerts&limit=100`));
    expect(
      audit.data
        .filter((e: { entity_id: string }) => e.entity_id === created.id)
        .map((e: { action: string }) => e.action),
    ).toEqual(['alerts.update', 'alerts.update', 'alerts.insert']);
  });

  it("lists with filters and pagination, manager and up, never another tenant's", async () => {
    await manualAlert('acme_manager', { severity: 'critical', title: 'Critical one' });
    const critical = await json(await as('acme_manager', '/api/command-center/alerts?severity=critical&limit=5'));
    expect(critical.data.every((a: { severity: string }) => a.severity === 'critical')).toBe(true);
    expect(critical.pagination.total).toBeGreaterThan(0);
    await expectProblem(await as('acme_agent', '/api/command-center/alerts'), 403);
    const globex = await json(await as('globex_manager', '/api/command-center/alerts?limit=100'));
    expect(globex.data.every((a: { title: string }) => a.title !== 'Critical one')).toBe(true);
    const acmeAlert = critical.data[0];
    await expectProblem(
      await as('globex_manager', `/api/command-center/alerts/${acmeAlert.id}`, {
        method: 'PUT',
        body: { status: 'acknowledged' },
      }),
      404,
    );
  });
});

describe('agent presence, alarms and REST views', () => {
  it("tracks an agent's status, raises an alert for an overdue break, and takes a silent agent offline", async () => {
    await as('globex_admin', '/api/admin/settings', {
      method: 'PUT',
      body: { category: 'command_center', settings: { break_max_seconds: 1, heartbeat_timeout_seconds: 2 } },
    });
    const manager = await connect('globex_manager');
    const status = await json(
      await as('globex_agent', '/api/command-center/agents/me/status', { method: 'PUT', body: { status: 'break' } }),
    );
    expect(status).toMatchObject({ agent_id: IDS['agent@globex.test'], status: 'break' });
    expect(((await manager.next('agent.status')).data as { status: string }).status).toBe('break');
    // The hub's alarm fires at the threshold; the alert is recorded in Postgres through the
    // queue, then pushed like any other.
    const frame = await manager.next('alert.created', 10_000);
    expect(frame.data).toMatchObject({ type: 'long_break', source: 'hub', agent_id: IDS['agent@globex.test'] });
    const offline = await manager.next('agent.status', 10_000);
    expect((offline.data as { status: string }).status, 'no heartbeat for 2 s: offline').toBe('offline');
    const snapshot = await json(await as('globex_manager', '/api/command-center/realtime'));
    expect(snapshot.agent_statuses[IDS['agent@globex.test']!].status).toBe('offline');
    manager.ws.close();
  });

  it("takes presence thresholds from the tenant's command_center settings", async () => {
    await as('acme_admin', '/api/admin/settings', {
      method: 'PUT',
      body: { category: 'command_center', settings: { wrap_up_max_seconds: 1 } },
    });
    const manager = await connect('acme_manager');
    await as('acme_agent2', '/api/command-center/agents/me/status', { method: 'PUT', body: { status: 'wrap_up' } });
    const frame = await manager.next('alert.created', 10_000);
    expect(frame.data).toMatchObject({ type: 'long_wrap_up', agent_id: IDS['agent2@acme.test'] });
    await as('acme_agent2', '/api/command-center/agents/me/status', { method: 'PUT', body: { status: 'available' } });
    await as('acme_admin', '/api/admin/settings', {
      method: 'PUT',
      body: { category: 'command_center', settings: { wrap_up_max_seconds: null } },
    });
    manager.ws.close();
  });

  it('validates status changes and dashboards per user', async () => {
    await expectProblem(
      await as('acme_agent', '/api/command-center/agents/me/status', { method: 'PUT', body: { status: 'asleep' } }),
      422,
    );
    const initial = await json(await as('acme_agent', '/api/command-center/dashboard'));
    expect(initial.is_default).toBe(true);
    const widgets = [
      { type: 'alerts', position: { x: 0, y: 0, w: 6, h: 4 }, config: {} },
      { type: 'metrics', position: { x: 6, y: 0, w: 6, h: 4 }, config: { period: 'day' } },
    ];
    expect(
      (await json(await as('acme_agent', '/api/command-center/dashboard', { method: 'PUT', body: { widgets } })))
        .widgets,
    ).toEqual(widgets);
    expect(
      (await json(await as('acme_manager', '/api/command-center/dashboard'))).is_default,
      'layouts are per user',
    ).toBe(true);
    const overlap = await expectProblem(
      await as('acme_agent', '/api/command-center/dashboard', {
        method: 'PUT',
        body: { widgets: [widgets[0], { ...widgets[1], position: { x: 3, y: 0, w: 6, h: 4 } }] },
      }),
      422,
    );
    expect(overlap.errors?.[0]?.field).toBe('widgets.1.position');
    await expectProblem(
      await as('acme_agent', '/api/command-center/dashboard', {
        method: 'PUT',
        body: { widgets: [{ type: 'lava_lamp', position: { x: 0, y: 0, w: 1, h: 1 }, config: {} }] },
      }),
      422,
    );
    await expectProblem(
      await as('acme_agent', '/api/command-center/dashboard', {
        method: 'PUT',
        body: { widgets: [{ type: 'alerts', position: { x: 10, y: 0, w: 6, h: 1 }, config: {} }] },
      }),
      422,
    );
  });

  it('serves realtime and metrics to managers only', async () => {
    await expectProblem(await as('acme_agent', '/api/command-center/realtime'), 403);
    await expectProblem(await as('acme_agent', '/api/command-center/metrics'), 403);
    await uploadCall('acme_agent', callForm({ metadata: { direction: 'inbound' }, audio: wavBytes() }));
    const m = await json(await as('acme_manager', '/api/command-center/metrics?period=month&group_by=agent'));
    expect(m).toMatchObject({ period: 'month', group_by: 'agent' });
    expect(m.call_volume).toBeGreaterThan(0);
    expect(Array.isArray(m.groups)).toBe(true);
    // The plan's shape: call_volume, average_scores, compliance_rate, agent_performance (average_score kept).
    expect(m.average_scores).toMatchObject({ overall: m.average_score });
    expect(Array.isArray(m.average_scores.by_criterion)).toBe(true);
    expect(m).toHaveProperty('compliance_rate');
    expect(m.agent_performance.map((a: { agent_id: string }) => a.agent_id)).toContain(IDS['agent@acme.test']);
    expect(
      m.groups.reduce((n: number, g: { call_volume: number }) => n + g.call_volume, 0),
      'groups add up',
    ).toBe(m.call_volume);
    await expectProblem(await as('acme_manager', '/api/command-center/metrics?period=decade'), 422);
    const rt = await json(
      await as('super_admin', '/api/command-center/realtime', { headers: { 'x-tenant-id': 'acme' } }),
    );
    expect(rt).toHaveProperty('active_calls');
  });
});

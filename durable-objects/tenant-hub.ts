/**
 * TenantHub: one Durable Object per tenant (`idFromName(tenantId)`), the live half of the command
 * center. It keeps agent statuses, active calls, open alerts, the day's metrics and a bounded
 * event buffer in its SQLite storage, so it survives eviction and hibernation, and fans events out
 * to WebSockets accepted with the hibernation API. Postgres stays the record for alerts; the hub
 * is the live view. The Worker talks to it by RPC; `fetch` only upgrades sockets.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../src/env';
import type { Role } from '../src/auth/roles';

export type AgentStatus = 'available' | 'on_call' | 'wrap_up' | 'break' | 'offline';
export type HubEventType =
  | 'alert.created'
  | 'alert.updated'
  | 'agent.status'
  | 'call.started'
  | 'call.ended'
  | 'call.scored'
  | 'call.reviewed'
  | 'coaching.assigned'
  | 'dispute.opened'
  | 'dispute.resolved'
  | 'metrics';

export interface HubEvent {
  type: HubEventType;
  data: Record<string, unknown>;
  /** Who the event is about: agents receive only events about themselves. */
  agent_id?: string | null;
  team_id?: string | null;
  department_id?: string | null;
}

export interface Frame {
  type: HubEventType | 'snapshot' | 'error' | 'subscribed';
  seq: number;
  ts: string;
  data: unknown;
}

export interface SocketIdentity {
  userId: string;
  role: Role;
  teamId: string | null;
  departmentId: string | null;
  filter: { team_id?: string; department_id?: string };
}

export interface Thresholds {
  wrapUpSeconds: number;
  breakSeconds: number;
  callSeconds: number;
  heartbeatSeconds: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  wrapUpSeconds: 300,
  breakSeconds: 1800,
  callSeconds: 3600,
  heartbeatSeconds: 90,
};
/**
 * How long past its expiry a spent ticket's id is kept: far beyond any clock skew between the
 * Worker that verified the ticket and this object, or a step back of this object's clock.
 */
export const SPENT_TICKET_RETENTION_MS = 5 * 60_000;
/** Events kept for clients that reconnect with their last `seq`. */
export const EVENT_BUFFER = 500;

/** An alert the hub raised from its own state (overdue wrap-up, long call...); the Worker records it. */
export interface RaisedAlert {
  dedupe_key: string;
  type: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  title: string;
  description: string;
  entity_type: 'agent' | 'call';
  entity_id: string;
  agent_id: string | null;
}

type Row = Record<string, SqlStorageValue>;

export class TenantHub extends DurableObject<Bindings> {
  private sql: SqlStorage;
  private audience = new Audience();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.migrate());
    // After hibernation or eviction the sockets outlive this instance: who they are is read back
    // from their attachments once, here, not on every broadcast.
    for (const ws of ctx.getWebSockets()) {
      const identity = ws.deserializeAttachment() as SocketIdentity | null;
      if (identity) this.audience.add(ws, identity);
    }
    // Answered by the runtime without waking the object: keeps idle sockets cheap.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  private migrate() {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, name TEXT, team_id TEXT, department_id TEXT, status TEXT NOT NULL,
        since INTEGER NOT NULL, last_heartbeat INTEGER NOT NULL, alerted_since INTEGER);
      CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, agent_id TEXT, team_id TEXT, direction TEXT, started_at INTEGER NOT NULL,
        flags TEXT NOT NULL DEFAULT '[]', alerted INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS alerts (alert_id TEXT PRIMARY KEY, agent_id TEXT, severity TEXT, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
        agent_id TEXT, team_id TEXT, department_id TEXT);
      CREATE TABLE IF NOT EXISTS tickets (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS metrics (day TEXT PRIMARY KEY, calls INTEGER NOT NULL DEFAULT 0, scored INTEGER NOT NULL DEFAULT 0,
        score_sum INTEGER NOT NULL DEFAULT 0, compliant INTEGER NOT NULL DEFAULT 0, alerts TEXT NOT NULL DEFAULT '{}');
      CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  }

  // ---- WebSockets ---------------------------------------------------------------------------

  /**
   * Only the Worker reaches this (a Durable Object has no public address), after it verified the
   * ticket; the identity comes in headers it set. The ticket id is spent here, once.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return new Response('expected a WebSocket upgrade', { status: 426 });
    const identity = JSON.parse(request.headers.get('x-hub-identity') ?? 'null') as SocketIdentity | null;
    const jti = request.headers.get('x-hub-ticket-id');
    const expiresAt = Number(request.headers.get('x-hub-ticket-expires'));
    if (!identity || !jti) return new Response('missing identity', { status: 400 });
    const now = Date.now();
    // The Worker checked the expiry on its own clock, a moment ago; this clock decides. A ticket
    // without a valid expiry is refused like an expired one.
    if (!Number.isFinite(expiresAt) || expiresAt < now) return new Response('ticket expired', { status: 401 });
    // A spent ticket stays spent for as long as it could be presented: its id is forgotten only
    // well after its expiry, so neither a request in flight at the expiry nor a clock that steps
    // back can spend it twice.
    this.sql.exec('DELETE FROM tickets WHERE expires_at < ?', now - SPENT_TICKET_RETENTION_MS);
    const spent = this.sql
      .exec(
        'INSERT INTO tickets (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING RETURNING jti',
        jti,
        expiresAt,
      )
      .toArray();
    if (spent.length === 0) return new Response('ticket already used', { status: 401 });

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    // No tags: the audience index (rebuilt from the attachments on wake) is what fan-out reads.
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(identity);
    this.audience.add(server, identity);

    const resume = request.headers.get('x-hub-resume');
    this.greet(server, identity, resume === null ? null : Number(resume));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A fresh snapshot, or what the client missed since `resumeFrom` when the buffer still has it. */
  private greet(ws: WebSocket, identity: SocketIdentity, resumeFrom: number | null) {
    const last = this.lastSeq();
    if (resumeFrom !== null && Number.isFinite(resumeFrom)) {
      const oldest = Number(this.sql.exec('SELECT coalesce(min(seq), 0) AS s FROM events').one().s);
      if (resumeFrom >= last) return;
      if (resumeFrom + 1 >= oldest && oldest > 0) {
        for (const row of this.sql.exec('SELECT * FROM events WHERE seq > ? ORDER BY seq', resumeFrom)) {
          const event = this.eventFromRow(row);
          if (visible(identity, event)) ws.send(JSON.stringify(this.frame(event, Number(row.seq), Number(row.ts))));
        }
        return;
      }
    }
    ws.send(
      JSON.stringify({
        type: 'snapshot',
        seq: last,
        ts: new Date().toISOString(),
        data: this.snapshot(identity),
      } satisfies Frame),
    );
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
    const identity = ws.deserializeAttachment() as SocketIdentity;
    let msg: { type?: unknown; team_id?: unknown; department_id?: unknown };
    try {
      msg = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message));
      if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
    } catch {
      return this.sendError(ws, 'malformed_frame', 'Frames are JSON objects with a "type".');
    }
    switch (msg.type) {
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong' }));
        return;
      case 'subscribe': {
        const team = optionalId(msg.team_id);
        const department = optionalId(msg.department_id);
        if (team === false || department === false)
          return this.sendError(ws, 'invalid_subscription', 'team_id and department_id must be UUIDs or null.');
        const updated: SocketIdentity = {
          ...identity,
          filter: { ...(team ? { team_id: team } : {}), ...(department ? { department_id: department } : {}) },
        };
        ws.serializeAttachment(updated);
        this.audience.add(ws, updated);
        ws.send(
          JSON.stringify({
            type: 'subscribed',
            seq: this.lastSeq(),
            ts: new Date().toISOString(),
            data: updated.filter,
          } satisfies Frame),
        );
        return;
      }
      default:
        return this.sendError(ws, 'unknown_type', `Unknown frame type; send "subscribe" or "ping".`);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number) {
    this.audience.remove(ws);
    try {
      ws.close(code === 1005 ? 1000 : code, 'closing');
    } catch {
      /* already closed */
    }
  }

  override async webSocketError(ws: WebSocket) {
    this.audience.remove(ws);
  }

  private sendError(ws: WebSocket, code: string, message: string) {
    ws.send(
      JSON.stringify({
        type: 'error',
        seq: this.lastSeq(),
        ts: new Date().toISOString(),
        data: { code, message },
      } satisfies Frame),
    );
  }

  // ---- RPC from the Worker --------------------------------------------------------------------

  /**
   * Remembers which tenant this hub serves (for the alerts it raises) and, when given, its
   * thresholds (the tenant's settings; what they leave out is the default).
   */
  async configure(tenantId: string, thresholds?: Partial<Thresholds>) {
    this.sql.exec(
      "INSERT INTO config (key, value) VALUES ('tenant', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      tenantId,
    );
    if (thresholds) {
      this.sql.exec(
        "INSERT INTO config (key, value) VALUES ('thresholds', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        JSON.stringify({ ...DEFAULT_THRESHOLDS, ...thresholds }),
      );
    }
  }

  /** Applies the event to the live state, stores it in the buffer and sends it to every socket allowed to see it. */
  async publish(event: HubEvent): Promise<number> {
    await this.apply(event);
    return this.broadcast(event);
  }

  async snapshotFor(filter: { team_id?: string; department_id?: string }) {
    return this.snapshot({ userId: '', role: 'manager', teamId: null, departmentId: null, filter });
  }

  /** An agent's own status change or heartbeat. */
  async agentStatus(input: {
    agent_id: string;
    status: AgentStatus | null;
    name?: string | null;
    team_id?: string | null;
    department_id?: string | null;
  }) {
    const now = Date.now();
    const existing = this.sql.exec('SELECT status FROM agents WHERE agent_id = ?', input.agent_id).toArray()[0];
    const changed = input.status !== null && existing?.status !== input.status;
    this.sql.exec(
      `INSERT INTO agents (agent_id, name, team_id, department_id, status, since, last_heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET name = coalesce(excluded.name, agents.name), team_id = coalesce(excluded.team_id, agents.team_id),
         department_id = coalesce(excluded.department_id, agents.department_id), last_heartbeat = excluded.last_heartbeat,
         status = CASE WHEN ? THEN excluded.status ELSE agents.status END,
         since = CASE WHEN ? THEN excluded.since ELSE agents.since END,
         alerted_since = CASE WHEN ? THEN NULL ELSE agents.alerted_since END`,
      input.agent_id,
      input.name ?? null,
      input.team_id ?? null,
      input.department_id ?? null,
      input.status ?? 'available',
      now,
      now,
      changed ? 1 : 0,
      changed ? 1 : 0,
      changed ? 1 : 0,
    );
    await this.scheduleAlarm();
    const agent = this.sql.exec('SELECT * FROM agents WHERE agent_id = ?', input.agent_id).one();
    if (changed || !existing)
      await this.broadcast({
        type: 'agent.status',
        data: { ...agentJson(agent) },
        agent_id: input.agent_id,
        team_id: str(agent.team_id),
        department_id: str(agent.department_id),
      });
    return agentJson(agent);
  }

  /** Test and operations hook: the open sockets by role. */
  async connections() {
    const byRole: Record<string, number> = {};
    for (const ws of this.ctx.getWebSockets()) {
      const role = (ws.deserializeAttachment() as SocketIdentity).role;
      byRole[role] = (byRole[role] ?? 0) + 1;
    }
    return byRole;
  }

  // ---- alarms ---------------------------------------------------------------------------------

  /**
   * Wrap-up or break past the tenant's threshold, a call past its maximum duration: an alert,
   * once per occurrence. Heartbeats that stop: the agent goes offline. The alerts go back to the
   * Worker's queue to be recorded in Postgres and pushed here like any other.
   */
  override async alarm() {
    await this.checkThresholds();
  }

  /** The alarm's work, callable directly (returns what it raised). */
  async checkThresholds(): Promise<RaisedAlert[]> {
    const now = Date.now();
    const t = this.thresholds();
    const raised: RaisedAlert[] = [];
    for (const a of this.sql.exec(
      "SELECT * FROM agents WHERE status IN ('wrap_up', 'break') AND alerted_since IS NULL",
    )) {
      const limit = a.status === 'wrap_up' ? t.wrapUpSeconds : t.breakSeconds;
      if (now - Number(a.since) >= limit * 1000) {
        this.sql.exec('UPDATE agents SET alerted_since = since WHERE agent_id = ?', a.agent_id);
        raised.push({
          dedupe_key: `hub:${a.agent_id}:${a.status}:${a.since}`,
          type: a.status === 'wrap_up' ? 'long_wrap_up' : 'long_break',
          severity: 'medium',
          title: `${a.name ?? 'An agent'} has been in ${a.status === 'wrap_up' ? 'wrap-up' : 'a break'} for over ${Math.round(limit / 60)} minutes`,
          description: `Since ${new Date(Number(a.since)).toISOString()}.`,
          entity_type: 'agent',
          entity_id: String(a.agent_id),
          agent_id: String(a.agent_id),
        });
      }
    }
    for (const c of this.sql.exec(
      'SELECT * FROM calls WHERE alerted = 0 AND started_at <= ?',
      now - t.callSeconds * 1000,
    )) {
      this.sql.exec('UPDATE calls SET alerted = 1 WHERE call_id = ?', c.call_id);
      raised.push({
        dedupe_key: `hub:call:${c.call_id}:long`,
        type: 'long_call',
        severity: 'low',
        title: `A call has lasted over ${Math.round(t.callSeconds / 60)} minutes`,
        description: `Started ${new Date(Number(c.started_at)).toISOString()}.`,
        entity_type: 'call',
        entity_id: String(c.call_id),
        agent_id: str(c.agent_id),
      });
    }
    for (const a of this.sql.exec(
      "SELECT * FROM agents WHERE status <> 'offline' AND last_heartbeat <= ?",
      now - t.heartbeatSeconds * 1000,
    )) {
      this.sql.exec(
        "UPDATE agents SET status = 'offline', since = ?, alerted_since = NULL WHERE agent_id = ?",
        now,
        a.agent_id,
      );
      const agent = this.sql.exec('SELECT * FROM agents WHERE agent_id = ?', a.agent_id).one();
      await this.broadcast({
        type: 'agent.status',
        data: { ...agentJson(agent) },
        agent_id: String(a.agent_id),
        team_id: str(a.team_id),
        department_id: str(a.department_id),
      });
    }
    const tenantId = this.config('tenant');
    if (raised.length && tenantId) {
      await this.env.PIPELINE.sendBatch(
        raised.map((alert) => ({ body: { step: 'hub-alert', tenant_id: tenantId, alert } })),
      );
    }
    await this.scheduleAlarm();
    return raised;
  }

  /** The next moment a threshold can be crossed; no alarm when nothing is pending. */
  private async scheduleAlarm() {
    const t = this.thresholds();
    const next = this.sql
      .exec(
        `SELECT min(due) AS due FROM (
           SELECT since + ? * 1000 AS due FROM agents WHERE status = 'wrap_up' AND alerted_since IS NULL
           UNION ALL SELECT since + ? * 1000 FROM agents WHERE status = 'break' AND alerted_since IS NULL
           UNION ALL SELECT last_heartbeat + ? * 1000 FROM agents WHERE status <> 'offline'
           UNION ALL SELECT started_at + ? * 1000 FROM calls WHERE alerted = 0)`,
        t.wrapUpSeconds,
        t.breakSeconds,
        t.heartbeatSeconds,
        t.callSeconds,
      )
      .one().due;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(Number(next), Date.now() + 10));
  }

  // ---- state --------------------------------------------------------------------------------

  private async apply(event: HubEvent) {
    const now = Date.now();
    const d = event.data;
    const day = new Date(now).toISOString().slice(0, 10);
    this.sql.exec('INSERT INTO metrics (day) VALUES (?) ON CONFLICT (day) DO NOTHING', day);
    switch (event.type) {
      case 'call.started':
        this.sql.exec(
          'INSERT INTO calls (call_id, agent_id, team_id, direction, started_at, flags) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING',
          String(d.call_id),
          event.agent_id ?? null,
          event.team_id ?? null,
          str(d.direction),
          now,
          JSON.stringify(d.flags ?? []),
        );
        this.sql.exec('UPDATE metrics SET calls = calls + 1 WHERE day = ?', day);
        break;
      case 'call.ended':
        this.sql.exec('DELETE FROM calls WHERE call_id = ?', String(d.call_id));
        break;
      case 'call.scored':
        this.sql.exec(
          'UPDATE metrics SET scored = scored + 1, score_sum = score_sum + ?, compliant = compliant + ? WHERE day = ?',
          Number(d.overall_score ?? 0),
          d.compliant ? 1 : 0,
          day,
        );
        break;
      case 'alert.created':
      case 'alert.updated':
        if (d.status === 'open' || d.status === 'acknowledged') {
          this.sql.exec(
            'INSERT INTO alerts (alert_id, agent_id, severity, data) VALUES (?, ?, ?, ?) ON CONFLICT (alert_id) DO UPDATE SET data = excluded.data',
            String(d.id),
            event.agent_id ?? null,
            str(d.severity),
            JSON.stringify(d),
          );
        } else {
          this.sql.exec('DELETE FROM alerts WHERE alert_id = ?', String(d.id));
        }
        if (event.type === 'alert.created') {
          const row = this.sql.exec('SELECT alerts FROM metrics WHERE day = ?', day).one();
          const counts = JSON.parse(String(row.alerts)) as Record<string, number>;
          counts[String(d.severity)] = (counts[String(d.severity)] ?? 0) + 1;
          this.sql.exec('UPDATE metrics SET alerts = ? WHERE day = ?', JSON.stringify(counts), day);
        }
        break;
    }
    await this.scheduleAlarm();
  }

  private async broadcast(event: HubEvent): Promise<number> {
    const ts = Date.now();
    const seq = Number(
      this.sql
        .exec(
          'INSERT INTO events (ts, type, data, agent_id, team_id, department_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq',
          ts,
          event.type,
          JSON.stringify(event.data),
          event.agent_id ?? null,
          event.team_id ?? null,
          event.department_id ?? null,
        )
        .one().seq,
    );
    this.sql.exec('DELETE FROM events WHERE seq <= ?', seq - EVENT_BUFFER);
    const payload = JSON.stringify(this.frame(event, seq, ts));
    const delivered = this.send(this.audience.recipients(event), payload);
    if (event.type === 'call.scored' || event.type === 'alert.created' || event.type === 'call.started') {
      await this.broadcastMetrics();
    }
    return delivered;
  }

  private async broadcastMetrics() {
    const metrics = this.metrics();
    const ts = Date.now();
    const seq = Number(
      this.sql
        .exec("INSERT INTO events (ts, type, data) VALUES (?, 'metrics', ?) RETURNING seq", ts, JSON.stringify(metrics))
        .one().seq,
    );
    const payload = JSON.stringify({
      type: 'metrics',
      seq,
      ts: new Date(ts).toISOString(),
      data: metrics,
    } satisfies Frame);
    this.send(this.audience.everyoneButAgents(), payload);
  }

  /** Sends to each socket; one that can no longer be written to (closing) leaves the audience. */
  private send(sockets: Iterable<WebSocket>, payload: string): number {
    let delivered = 0;
    const gone: WebSocket[] = [];
    for (const ws of sockets) {
      try {
        ws.send(payload);
        delivered++;
      } catch {
        gone.push(ws);
      }
    }
    for (const ws of gone) this.audience.remove(ws);
    return delivered;
  }

  private frame(event: HubEvent, seq: number, ts: number): Frame {
    return { type: event.type, seq, ts: new Date(ts).toISOString(), data: event.data };
  }

  private eventFromRow(row: Row): HubEvent {
    return {
      type: row.type as HubEventType,
      data: JSON.parse(String(row.data)),
      agent_id: str(row.agent_id),
      team_id: str(row.team_id),
      department_id: str(row.department_id),
    };
  }

  private lastSeq(): number {
    return Number(
      this.sql.exec("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS s").one().s,
    );
  }

  private metrics() {
    const day = new Date().toISOString().slice(0, 10);
    const row = this.sql.exec('SELECT * FROM metrics WHERE day = ?', day).toArray()[0];
    const scored = Number(row?.scored ?? 0);
    return {
      day,
      calls: Number(row?.calls ?? 0),
      scored_calls: scored,
      average_score: scored ? Math.round((Number(row!.score_sum) / scored) * 10) / 10 : null,
      compliance_rate: scored ? Math.round((Number(row!.compliant) / scored) * 1000) / 1000 : null,
      alerts_by_severity: JSON.parse(String(row?.alerts ?? '{}')),
    };
  }

  private snapshot(identity: SocketIdentity) {
    const agents: Record<string, unknown> = {};
    for (const a of this.sql.exec('SELECT * FROM agents ORDER BY agent_id')) {
      const e: HubEvent = {
        type: 'agent.status',
        data: {},
        agent_id: String(a.agent_id),
        team_id: str(a.team_id),
        department_id: str(a.department_id),
      };
      if (visible(identity, e)) agents[String(a.agent_id)] = agentJson(a);
    }
    const activeCalls = this.sql
      .exec('SELECT * FROM calls ORDER BY started_at')
      .toArray()
      .filter((c) =>
        visible(identity, { type: 'call.started', data: {}, agent_id: str(c.agent_id), team_id: str(c.team_id) }),
      )
      .map((c) => ({
        call_id: c.call_id,
        agent_id: c.agent_id,
        team_id: c.team_id,
        direction: c.direction,
        started_at: new Date(Number(c.started_at)).toISOString(),
        flags: JSON.parse(String(c.flags)),
      }));
    const openAlerts = this.sql
      .exec('SELECT * FROM alerts')
      .toArray()
      .filter((a) => visible(identity, { type: 'alert.created', data: {}, agent_id: str(a.agent_id) }))
      .map((a) => JSON.parse(String(a.data)));
    return {
      agent_statuses: agents,
      active_calls: activeCalls,
      alerts: openAlerts,
      metrics: identity.role === 'agent' ? null : this.metrics(),
    };
  }

  private thresholds(): Thresholds {
    const raw = this.config('thresholds');
    return raw ? { ...DEFAULT_THRESHOLDS, ...(JSON.parse(raw) as Partial<Thresholds>) } : DEFAULT_THRESHOLDS;
  }

  private config(key: string): string | null {
    const row = this.sql.exec('SELECT value FROM config WHERE key = ?', key).toArray()[0];
    return row ? String(row.value) : null;
  }
}

/**
 * The open sockets by who may see what, in memory. Agents see only events about themselves, so
 * they are indexed by user; everyone else sees the tenant narrowed by a subscription, so they are
 * grouped by it and `visible` is asked once per group. A broadcast thus touches only the sockets
 * it is sent to, and reads no attachment (the attachments stay the record across hibernation).
 */
class Audience {
  /** Agents, by user id. */
  private agents = new Map<string, AudienceGroup>();
  /** Everyone else, by subscription: for them `visible` depends on the subscription alone. */
  private subscribers = new Map<string, AudienceGroup>();
  private home = new Map<WebSocket, { index: Map<string, AudienceGroup>; key: string }>();

  /** Adds a socket, or moves it after its subscription changed. */
  add(ws: WebSocket, identity: SocketIdentity) {
    this.remove(ws);
    const { team_id, department_id } = identity.filter;
    const [index, key] =
      identity.role === 'agent'
        ? [this.agents, identity.userId]
        : [this.subscribers, `${team_id ?? ''}/${department_id ?? ''}`];
    let group = index.get(key);
    if (!group) index.set(key, (group = { identity, sockets: new Set() }));
    group.sockets.add(ws);
    this.home.set(ws, { index, key });
  }

  remove(ws: WebSocket) {
    const home = this.home.get(ws);
    if (!home) return;
    this.home.delete(ws);
    const group = home.index.get(home.key)!;
    group.sockets.delete(ws);
    if (group.sockets.size === 0) home.index.delete(home.key);
  }

  /** Exactly the sockets whose identity `visible` lets see the event. */
  *recipients(event: HubEvent): Generator<WebSocket> {
    if (event.agent_id) yield* this.agents.get(event.agent_id)?.sockets ?? [];
    for (const group of this.subscribers.values()) if (visible(group.identity, event)) yield* group.sockets;
  }

  *everyoneButAgents(): Generator<WebSocket> {
    for (const group of this.subscribers.values()) yield* group.sockets;
  }
}

interface AudienceGroup {
  /** Any member's identity: they differ only in what `visible` ignores. */
  identity: SocketIdentity;
  sockets: Set<WebSocket>;
}

/** Agents see only events about themselves; others see the tenant, narrowed by their subscription. */
export function visible(identity: SocketIdentity, event: HubEvent): boolean {
  if (identity.role === 'agent') return !!event.agent_id && event.agent_id === identity.userId;
  const { team_id, department_id } = identity.filter;
  if (team_id && event.team_id && event.team_id !== team_id) return false;
  if (department_id && event.department_id && event.department_id !== department_id) return false;
  return true;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function optionalId(v: unknown): string | null | false {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' && UUID.test(v) ? v : false;
}

function str(v: SqlStorageValue | unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export interface LiveAgent {
  agent_id: string;
  name: string | null;
  team_id: string | null;
  department_id: string | null;
  status: AgentStatus;
  since: string;
  last_heartbeat: string;
}

function agentJson(a: Row): LiveAgent {
  return {
    agent_id: String(a.agent_id),
    name: str(a.name),
    team_id: str(a.team_id),
    department_id: str(a.department_id),
    status: String(a.status) as AgentStatus,
    since: new Date(Number(a.since)).toISOString(),
    last_heartbeat: new Date(Number(a.last_heartbeat)).toISOString(),
  };
}

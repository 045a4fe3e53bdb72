/**
 * The Neon HTTP stand-in, driven by the real `@neondatabase/serverless` driver
 * and drizzle's neon-http, on PGlite always and on Postgres when DATABASE_URL
 * is set. Every suite logs in as a freshly created LOGIN, NOBYPASSRLS role
 * that does not own the table, so RLS is really in force.
 */
import { type HTTPTransactionOptions, NeonDbError, neon, neonConfig } from '@neondatabase/serverless';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-http';
import { boolean, integer, jsonb, numeric, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseBackend, openBackend } from '../../dev/db/backend.ts';
import { type NeonHttpStandIn, startNeonHttp } from '../../dev/neon/index.ts';

/**
 * fetchEndpoint is global to the driver, so each suite gets its own hostname
 * (the endpoint ID) and this maps it to that suite's stand-in.
 */
const endpoints = new Map<string, string>();
neonConfig.fetchEndpoint = (host) => {
  const url = endpoints.get(host);
  if (!url) throw new Error(`no stand-in registered for host ${host}`);
  return url;
};

const databaseUrl = process.env['DATABASE_URL'];
const backends: { kind: 'pglite' | 'postgres'; url?: string | undefined }[] = [{ kind: 'pglite' }];
if (databaseUrl) backends.push({ kind: 'postgres', url: databaseUrl });

for (const { kind, url } of backends) {
  describe(`Neon HTTP stand-in on ${kind}`, () => {
    // Unique per run: parallel runs share the CI database.
    const suffix = `${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const role = `neon_http_app_${suffix}`;
    const noLoginRole = `neon_http_nologin_${suffix}`;
    // Own schema: a reset of `public` by another suite on the same database cannot touch it.
    const schemaName = `neon_http_${suffix}`;
    const tableName = 'calls';
    const table = `"${schemaName}"."${tableName}"`;
    const host = `${kind}-${suffix.replace(/_/g, '-')}.localtest.me`;

    const calls = pgSchema(schemaName).table(tableName, {
      id: integer('id').primaryKey(),
      tenantId: text('tenant_id').notNull(),
      label: text('label'),
      payload: jsonb('payload'),
      amount: numeric('amount', { precision: 10, scale: 2 }),
      tags: text('tags').array(),
      done: boolean('done').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull(),
    });

    let backend: DatabaseBackend;
    let standIn: NeonHttpStandIn;
    let connString: string;
    let database: string;

    async function admin(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
      if (backend.kind === 'pglite') return (await backend.pglite.query<Record<string, unknown>>(text, params)).rows;
      return (await backend.pool.query(text, params)).rows as Record<string, unknown>[];
    }

    const client = (opts?: HTTPTransactionOptions<false, false>) => neon(connString, opts);
    const db = () => drizzle({ client: client() });
    const setTenant = (tenant: string) => sql`select set_config('app.tenant_id', ${tenant}, true)`;

    /** A raw POST with the headers the driver sends, for checks below the driver's parsing. */
    async function post(
      body: unknown,
      headers: Record<string, string> = {},
    ): Promise<{ status: number; headers: Headers; json: any }> {
      const res = await fetch(standIn.url, {
        method: 'POST',
        headers: {
          'Neon-Connection-String': connString,
          'Neon-Raw-Text-Output': 'true',
          'Neon-Array-Mode': 'true',
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, headers: res.headers, json: await res.json() };
    }

    async function neonError(p: Promise<unknown>): Promise<NeonDbError> {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NeonDbError);
      return err as NeonDbError;
    }

    beforeAll(async () => {
      backend = await openBackend({ databaseUrl: url });
      database = kind === 'pglite' ? 'postgres' : decodeURIComponent(new URL(url!).pathname.slice(1));
      const t = table;
      for (const stmt of [
        `CREATE SCHEMA "${schemaName}"`,
        `CREATE ROLE "${role}" LOGIN PASSWORD 'app-pw' NOSUPERUSER NOBYPASSRLS`,
        `CREATE ROLE "${noLoginRole}" NOLOGIN`,
        `CREATE TABLE ${t} (
           id integer PRIMARY KEY,
           tenant_id text NOT NULL,
           label text,
           payload jsonb,
           amount numeric(10,2),
           tags text[],
           done boolean NOT NULL DEFAULT false,
           created_at timestamptz NOT NULL DEFAULT now())`,
        `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`,
        `ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`,
        `CREATE POLICY tenant_isolation ON ${t}
           USING (tenant_id = current_setting('app.tenant_id', true))
           WITH CHECK (tenant_id = current_setting('app.tenant_id', true))`,
        `GRANT USAGE ON SCHEMA "${schemaName}" TO "${role}"`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO "${role}"`,
        `INSERT INTO ${t} (id, tenant_id, label, payload, amount, tags, done, created_at) VALUES
           (1, 't1', 'first', '{"score": 9, "notes": ["ok"]}', 12.5, '{a,b}', true, '2024-05-01 10:00:00+00'),
           (2, 't1', 'second', NULL, NULL, NULL, false, '2024-05-02 10:00:00+00'),
           (3, 't2', 'other tenant', '{"score": 1}', 7, '{}', false, '2024-05-03 10:00:00+00')`,
      ]) {
        await admin(stmt);
      }
      standIn = await startNeonHttp({ port: 0, backend });
      endpoints.set(host, standIn.url);
      connString = `postgresql://${role}:app-pw@${host}/${database}?sslmode=require`;
    });

    afterAll(async () => {
      await standIn?.close();
      if (!backend) return;
      // Run every step even if one fails, so a broken run leaves as little as possible behind.
      for (const stmt of [
        `DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`,
        `DROP ROLE IF EXISTS "${role}"`,
        `DROP ROLE IF EXISTS "${noLoginRole}"`,
      ]) {
        await admin(stmt).catch((e: unknown) => console.error(`cleanup failed: ${stmt}`, e));
      }
      await backend.close();
    });

    it('answers in the proxy format: key order, fields, raw text, rowCount', async () => {
      const res = await post({
        queries: [
          { query: `select $1::int4 as n, null::text as t, id from ${table} where false`, params: ['7'] },
          { query: 'select $1::int4 as n, $2::text as t', params: ['7', null] },
          { query: "SET LOCAL app.tenant_id = 't1'", params: [] },
          { query: `select id, label from ${table} order by id`, params: [], arrayMode: false },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const [empty, scalar, set, objects] = res.json.results;
      expect(Object.keys(scalar)).toEqual(['rowAsArray', 'fields', 'rows', 'command', 'rowCount']);
      expect(scalar.fields[0]).toEqual({
        name: 'n',
        dataTypeID: 23,
        tableID: 0,
        columnID: 0,
        dataTypeSize: 4,
        dataTypeModifier: -1,
        format: 'text',
      });
      expect(scalar.rows).toEqual([['7', null]]);
      expect(scalar).toMatchObject({ rowAsArray: true, command: 'SELECT', rowCount: 1 });
      // Column provenance from the RowDescription.
      expect(empty.fields[2]).toMatchObject({ name: 'id', dataTypeID: 23, columnID: 1 });
      expect(empty.fields[2].tableID).toBeGreaterThan(0);
      expect(empty).toMatchObject({ rows: [], command: 'SELECT', rowCount: 0 });
      expect(set).toEqual({ rowAsArray: true, fields: [], rows: [], command: 'SET', rowCount: null });
      // Per-query arrayMode overrides the header; RLS applied through SET LOCAL.
      expect(objects.rowAsArray).toBe(false);
      expect(objects.rows).toEqual([
        { id: '1', label: 'first' },
        { id: '2', label: 'second' },
      ]);
    });

    it('converts values to JSON itself when raw text output is off', async () => {
      const res = await post(
        {
          query: `select 1::int2 as i, true as b, '{"a": [1, 2.50]}'::jsonb as j, 9007199254740993::int8 as big,
                  1.50::numeric as n, array[1, null, 3]::int4[] as a, array['x', 'y z']::text[] as t,
                  'NaN'::float8 as f, 2.5::float4 as g, '{}'::int4[] as e`,
        },
        { 'Neon-Raw-Text-Output': 'false', 'Neon-Array-Mode': 'false' },
      );
      expect(res.status).toBe(200);
      expect(res.json.rows).toEqual([
        {
          i: 1,
          b: true,
          j: { a: [1, 2.5] },
          big: '9007199254740993',
          n: '1.50',
          a: [1, null, 3],
          t: ['x', 'y z'],
          f: 'NaN',
          g: 2.5,
          e: [],
        },
      ]);
    });

    it('gives the driver values it parses into the expected JS types', async () => {
      const [row] = await client().query(
        `select 42::int4 as int, true as bool, 'héllo'::text as txt, '{"k": [1, "two"]}'::jsonb as json,
                12.50::numeric as num, 9007199254740993::int8 as big, array[1, 2]::int4[] as ints,
                array['a', null]::text[] as texts, null::int4 as nothing, 1.5::float8 as float`,
      );
      expect(row).toEqual({
        int: 42,
        bool: true,
        txt: 'héllo',
        json: { k: [1, 'two'] },
        num: '12.50',
        big: '9007199254740993',
        ints: [1, 2],
        texts: ['a', null],
        nothing: null,
        float: 1.5,
      });

      const full = await client().query('select $1::text as x', ['p'], { fullResults: true });
      expect(full).toMatchObject({ command: 'SELECT', rowCount: 1, rows: [{ x: 'p' }] });
      expect(full.fields[0]).toMatchObject({ name: 'x', dataTypeID: 25 });
    });

    it('keeps timestamptz as a string under drizzle and maps a drizzle select', async () => {
      const d = db();
      const [ts, rows] = await d.batch([
        d.execute(sql`select '2024-05-01 10:00:00+00'::timestamptz as at, now() as now`),
        d.select().from(calls).where(eq(calls.id, 1)),
      ]);
      expect(typeof ts.rows[0]?.['at']).toBe('string');
      expect(ts.rows[0]?.['at']).toBe('2024-05-01 10:00:00+00');
      expect(typeof ts.rows[0]?.['now']).toBe('string');
      // Without a tenant in this batch, RLS hides the row.
      expect(rows).toEqual([]);

      const [, tenantRows] = await d.batch([d.execute(setTenant('t1')), d.select().from(calls).where(eq(calls.id, 1))]);
      expect(tenantRows).toEqual([
        {
          id: 1,
          tenantId: 't1',
          label: 'first',
          payload: { score: 9, notes: ['ok'] },
          amount: '12.50',
          tags: ['a', 'b'],
          done: true,
          createdAt: '2024-05-01 10:00:00+00',
        },
      ]);
    });

    it('runs a batch as one HTTP request and one transaction', async () => {
      const s = client();
      standIn.resetStats();
      const [a, b] = await s.transaction([s`select txid_current() as x`, s`select txid_current() as x`]);
      expect(a?.[0]?.['x']).toBeDefined();
      expect(a?.[0]?.['x']).toBe(b?.[0]?.['x']);
      expect(standIn.stats()).toEqual({ requests: 1, queries: 2 });

      const [c] = await s.query('select txid_current() as x');
      const [d] = await s.query('select txid_current() as x');
      expect(c?.['x']).not.toBe(d?.['x']);
      expect(standIn.stats()).toEqual({ requests: 3, queries: 4 });

      expect(await s.transaction([])).toEqual([]);
    });

    it('applies set_config(..., true) to the rest of the batch only', async () => {
      const d = db();
      const [, inBatch] = await d.batch([
        d.execute(setTenant('t1')),
        d.execute(sql`select current_setting('app.tenant_id', true) as tenant`),
      ]);
      expect(inBatch.rows[0]?.['tenant']).toBe('t1');
      const next = await d.execute(sql`select current_setting('app.tenant_id', true) as tenant`);
      // Unset again: NULL, or '' once the placeholder exists in that session.
      expect([null, '']).toContain(next.rows[0]?.['tenant']);
    });

    it("runs as the connection string's role, so RLS hides other tenants' rows", async () => {
      const d = db();
      const who = await d.execute(
        sql`select current_user as cu, session_user as su,
                   (select rolsuper or rolbypassrls from pg_roles where rolname = current_user) as privileged`,
      );
      expect(who.rows[0]).toEqual({ cu: role, su: role, privileged: false });

      const ids = async (tenant?: string) => {
        const [, rows] = await d.batch([
          d.execute(tenant ? setTenant(tenant) : sql`select 1`),
          d.select({ id: calls.id }).from(calls).orderBy(calls.id),
        ]);
        return rows.map((r) => r.id);
      };
      expect(await ids('t1')).toEqual([1, 2]);
      expect(await ids('t2')).toEqual([3]);
      expect(await ids()).toEqual([]);

      // Writes are filtered too: t1 cannot touch t2's row.
      const s = client();
      const [, update] = await s.transaction(
        [s`select set_config('app.tenant_id', 't1', true)`, s.query(`update ${table} set label = 'x' where id = 3`)],
        { fullResults: true },
      );
      expect(update).toMatchObject({ command: 'UPDATE', rowCount: 0 });
    });

    it('keeps concurrent requests for different tenants apart', async () => {
      const d = db();
      const tenants = Array.from({ length: 12 }, (_, i) => (i % 2 ? 't1' : 't2'));
      const results = await Promise.all(
        tenants.map(async (tenant) => {
          const [, rows] = await d.batch([d.execute(setTenant(tenant)), d.select({ t: calls.tenantId }).from(calls)]);
          return { tenant, seen: [...new Set(rows.map((r) => r.t))] };
        }),
      );
      for (const r of results) expect(r.seen).toEqual([r.tenant]);
    });

    it('rolls back earlier writes when a later statement fails, and reports the SQLSTATE', async () => {
      const d = db();
      const dup = await neonError(
        d.batch([
          d.execute(setTenant('t1')),
          d.insert(calls).values({ id: 10, tenantId: 't1', done: false, createdAt: '2024-06-01 00:00:00+00' }),
          d.insert(calls).values({ id: 1, tenantId: 't1', done: false, createdAt: '2024-06-01 00:00:00+00' }),
        ]),
      );
      expect(dup.code).toBe('23505');
      expect(dup.severity).toBe('ERROR');
      expect(dup.constraint).toBe(`${tableName}_pkey`);
      expect(dup.table).toBe(tableName);
      // Postgres withholds the key values from the detail on tables with RLS.
      expect(dup.detail).toBeUndefined();
      expect(await admin(`select id from ${table} where id = 10`)).toEqual([]);

      const rls = await neonError(
        d.batch([
          d.execute(setTenant('t1')),
          d.insert(calls).values({ id: 11, tenantId: 't2', done: false, createdAt: '2024-06-01 00:00:00+00' }),
        ]),
      );
      expect(rls.code).toBe('42501');
      expect(rls.message).toContain('row-level security');

      const denied = await neonError(client().query('select * from pg_authid'));
      expect(denied.code).toBe('42501');

      const twoStatements = await neonError(client().query('select 1; select 2'));
      expect(twoStatements.code).toBe('42601');

      // The role cannot make itself someone else (PGlite's own login is a superuser).
      const escalate = await neonError(client().query('set session authorization postgres'));
      expect(escalate.code).toBe('42501');
      const [me] = await client().query('select current_user as u');
      expect(me?.['u']).toBe(role);
    });

    it('honours the transaction options from neon(url, {...})', async () => {
      const s = client({ isolationLevel: 'Serializable', readOnly: true, deferrable: true });
      const [settings] = await s.transaction([
        s`select current_setting('transaction_isolation') as iso, current_setting('transaction_read_only') as ro,
                 current_setting('transaction_deferrable') as def`,
      ]);
      expect(settings?.[0]).toEqual({ iso: 'serializable', ro: 'on', def: 'on' });

      const ro = await neonError(s.transaction([s.query(`delete from ${table}`)]));
      expect(ro.code).toBe('25006');

      const res = await post(
        { queries: [{ query: 'select 1', params: [] }] },
        { 'Neon-Batch-Isolation-Level': 'RepeatableRead', 'Neon-Batch-Read-Only': 'true' },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('neon-batch-isolation-level')).toBe('RepeatableRead');
      expect(res.headers.get('neon-batch-read-only')).toBe('true');
      expect(res.headers.get('neon-batch-deferrable')).toBeNull();
    });

    it('rejects what the proxy rejects, with its messages', async () => {
      const proxyError = { code: '', severity: '', detail: null, routine: null };

      const badJson = await post('{"query": ');
      expect(badJson.status).toBe(400);
      expect(badJson.json).toMatchObject(proxyError);
      expect(badJson.json.message).toMatch(/^could not parse the HTTP request body: /);
      expect(Object.keys(badJson.json)).toHaveLength(17);

      const wrongShape = await post({ sql: 'select 1' });
      expect(wrongShape.json.message).toMatch(/^could not parse the HTTP request body: /);

      const badLevel = await post({ query: 'select 1' }, { 'Neon-Batch-Isolation-Level': 'Chaos' });
      expect(badLevel).toMatchObject({ status: 400, json: { message: 'invalid isolation level', code: '' } });

      const ipHost = await post(
        { query: 'select 1' },
        { 'Neon-Connection-String': `postgresql://${role}:pw@127.0.0.1/${database}` },
      );
      expect(ipHost.json.message).toBe('missing hostname');

      const noPassword = await post(
        { query: 'select 1' },
        { 'Neon-Connection-String': `postgresql://${role}@${host}/${database}` },
      );
      expect(noPassword.json.message).toBe('missing authentication credentials: required password');

      const wrongScheme = await post(
        { query: 'select 1' },
        { 'Neon-Connection-String': `mysql://${role}:pw@${host}/${database}` },
      );
      expect(wrongScheme.json.message).toBe('incorrect scheme');

      const tooLarge = await post({ query: 'select 1', params: ['x'.repeat(10 * 1024 * 1024)] });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.json.message).toMatch(/^request is too large \(max is \d+ bytes\)$/);

      const unknownRole = await neonError(
        neon(`postgresql://nobody_${suffix}:pw@${host}/${database}`).query('select 1'),
      );
      expect(unknownRole.code).toBe('28000');
      expect(unknownRole.message).toBe(`role "nobody_${suffix}" does not exist`);

      const noLogin = await neonError(neon(`postgresql://${noLoginRole}:pw@${host}/${database}`).query('select 1'));
      expect(noLogin.code).toBe('28000');

      const noDb = await neonError(neon(`postgresql://${role}:pw@${host}/missing_${suffix}`).query('select 1'));
      expect(noDb.code).toBe('3D000');
    });

    it('counts requests and statements, also over GET /__stats', async () => {
      const statsUrl = standIn.url.replace(/\/sql$/, '/__stats');
      expect(await (await fetch(`${statsUrl}/reset`, { method: 'POST' })).json()).toEqual({ requests: 0, queries: 0 });
      const s = client();
      await s.query('select 1');
      await s.transaction([s`select 1`, s`select 2`, s`select 3`]);
      await neonError(s.transaction([s`select 1`, s`select 1/0`, s`select 3`]));
      const stats = await (await fetch(statsUrl)).json();
      // The failing batch stops at its second statement.
      expect(stats).toEqual({ requests: 3, queries: 6 });
      expect(standIn.stats()).toEqual(stats);
    });
  });
}

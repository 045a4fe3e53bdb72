/**
 * Sessions on a real Postgres: one small pool per (user, password, database),
 * on the host and port of the owner's URL, so every request really logs in as
 * the role it names and RLS, grants and BYPASSRLS apply as on Neon.
 */
import pg from 'pg';
import type { ConnInfo } from './conn-info.ts';
import { NeonHttpError, isPgError } from './errors.ts';
import { parseCommandTag, type Session, type SqlExecutor, type StatementResult } from './executor.ts';

/** Every value stays in its Postgres text form; the driver on the other side parses it. */
const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

/** What the wire protocol said last on one connection, which pg does not expose directly. */
interface WireState {
  /** ReadyForQuery status: I idle, T in transaction, E failed transaction. */
  status: string;
  /** The last CommandComplete tag, or null after an empty query. */
  tag: string | null;
}

export class PgExecutor implements SqlExecutor {
  readonly #host: string;
  readonly #port: number;
  readonly #pools = new Map<string, pg.Pool>();
  readonly #wire = new WeakMap<pg.PoolClient, WireState>();

  constructor(adminUrl: string) {
    const url = new URL(adminUrl);
    // A socket directory may come as ?host=/path when the URL has no host part.
    this.#host = decodeURIComponent(url.hostname) || url.searchParams.get('host') || 'localhost';
    this.#port = url.port ? Number(url.port) : 5432;
  }

  async withSession<T>(conn: ConnInfo, work: (session: Session) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool(conn).connect();
    } catch (err) {
      // Postgres refusing the login (unknown role, no LOGIN, bad database) is the user's 400.
      if (isPgError(err)) throw err;
      throw new NeonHttpError(500, `Couldn't connect to compute node: ${(err as Error).message}`);
    }
    let broken = false;
    try {
      return await work({
        query: async (text, params) => {
          try {
            return await this.#query(client, text, params);
          } catch (err) {
            if (!isPgError(err)) broken = true;
            throw err;
          }
        },
      });
    } finally {
      // Like the proxy, a connection not back to idle (e.g. a lone BEGIN) is discarded, not pooled.
      const idle = this.#wire.get(client)?.status === 'I';
      client.release(broken || !idle);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  }

  #pool(conn: ConnInfo): pg.Pool {
    const key = JSON.stringify([conn.user, conn.password, conn.database]);
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new pg.Pool({
        host: this.#host,
        port: this.#port,
        user: conn.user,
        password: conn.password,
        database: conn.database,
        max: 10,
        idleTimeoutMillis: 10_000,
        allowExitOnIdle: true,
      });
      pool.on('error', () => undefined); // an idle connection dropped by the server is just discarded
      pool.on('connect', (client) => this.#watch(client));
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #watch(client: pg.PoolClient): void {
    const state: WireState = { status: 'I', tag: null };
    this.#wire.set(client, state);
    client.connection.on('readyForQuery', (msg: { status: string }) => {
      state.status = msg.status;
    });
    client.connection.on('commandComplete', (msg: { text: string }) => {
      state.tag = msg.text;
    });
  }

  async #query(client: pg.PoolClient, text: string, params: readonly (string | null)[]): Promise<StatementResult> {
    const state = this.#wire.get(client);
    if (state) state.tag = null;
    // Extended protocol even without params, as the proxy does: one statement per query,
    // so "SELECT 1; SELECT 2" fails here exactly as it does on Neon.
    const config: pg.QueryArrayConfig & { queryMode: 'extended' } = {
      text,
      values: [...params],
      rowMode: 'array',
      types: RAW_TEXT,
      queryMode: 'extended',
    };
    const res = await client.query(config);
    const { command, rowCount } = parseCommandTag(state?.tag ?? '');
    return {
      fields: res.fields.map((f) => ({
        name: f.name,
        tableID: f.tableID,
        columnID: f.columnID,
        dataTypeID: f.dataTypeID,
        dataTypeSize: f.dataTypeSize,
        dataTypeModifier: f.dataTypeModifier,
      })),
      rows: res.rows as (string | null)[][],
      command,
      rowCount,
    };
  }
}

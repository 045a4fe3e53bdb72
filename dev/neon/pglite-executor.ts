/**
 * Sessions on PGlite. PGlite is one connection, logged in as a superuser, which
 * would bypass RLS and grants. So each request holds PGlite exclusively, checks
 * the login as Postgres would, switches to the named role with
 * SET SESSION AUTHORIZATION (current_user and session_user both become that
 * role, as after a real login), runs, and then throws the session state away.
 *
 * Statements go through PGlite's wire-protocol entry point rather than
 * `query()`, so the answer carries the full RowDescription, the raw text of
 * every value and the exact command tag, as a real server sends them.
 */
import { PGlite, protocol } from '@electric-sql/pglite';
import type { ConnInfo } from './conn-info.ts';
import { fatal, fromPgError, isPgError } from './errors.ts';
import { parseCommandTag, type FieldInfo, type Session, type SqlExecutor, type StatementResult } from './executor.ts';

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

export class PgliteExecutor implements SqlExecutor {
  readonly #db: PGlite;
  #owner: { user: string; database: string } | undefined;

  constructor(db: PGlite) {
    this.#db = db;
  }

  withSession<T>(conn: ConnInfo, work: (session: Session) => Promise<T>): Promise<T> {
    // Take both of PGlite's locks, so neither a single query nor a transaction
    // from other code sharing this PGlite (seeding, test setup) interleaves.
    return this.#db._runExclusiveTransaction(() =>
      this.#db.runExclusive(async () => {
        const { superuser } = await this.#login(conn);
        try {
          return await work({
            query: (text, params) => {
              if (!superuser) refuseSessionAuthorization(text);
              return this.#run(text, params);
            },
          });
        } finally {
          await this.#logout();
          await this.#db.syncToFs();
        }
      }),
    );
  }

  async close(): Promise<void> {
    // The PGlite instance belongs to the backend; closing it is the backend's job.
  }

  /** What a real server checks at login, then becomes that role. Password is not checked (trust auth). */
  async #login(conn: ConnInfo): Promise<{ superuser: boolean }> {
    this.#owner ??= await this.#whoAmI();
    const role = await this.#run('SELECT rolcanlogin, rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1', [
      conn.user,
    ]);
    const [canLogin, superuser] = role.rows[0] ?? [];
    if (canLogin === undefined) throw fatal('28000', `role "${conn.user}" does not exist`);
    if (canLogin !== 't') throw fatal('28000', `role "${conn.user}" is not permitted to log in`);
    // PGlite holds a single database; asking for another fails as it would on a server without it.
    if (conn.database !== this.#owner.database) throw fatal('3D000', `database "${conn.database}" does not exist`);
    await this.#run(`SET SESSION AUTHORIZATION ${quoteIdent(conn.user)}`, []);
    return { superuser: superuser === 't' };
  }

  /** The user PGlite itself runs as (a superuser), learnt before any switch. */
  async #whoAmI(): Promise<{ user: string; database: string }> {
    const [row] = (await this.#run('SELECT session_user, current_database()', [])).rows;
    return { user: row?.[0] ?? 'postgres', database: row?.[1] ?? 'postgres' };
  }

  /**
   * Back to a fresh owner session: end whatever transaction is open, DISCARD
   * ALL (GUCs, role, temp tables, prepared statements), then switch back by
   * name. PGlite runs Postgres in single-user mode, where RESET SESSION
   * AUTHORIZATION (and DISCARD ALL's own reset) leaves the session as the
   * application role, so the owner has to be named explicitly.
   */
  async #logout(): Promise<void> {
    const owner = quoteIdent(this.#owner?.user ?? 'postgres');
    try {
      if (this.#db.isInTransaction()) await this.#run('ROLLBACK', []);
      await this.#run('DISCARD ALL', []);
    } finally {
      // Never leave the shared connection running as an application role.
      await this.#run(`SET SESSION AUTHORIZATION ${owner}`, []);
    }
  }

  async #run(text: string, params: readonly (string | null)[]): Promise<StatementResult> {
    const s = protocol.serialize;
    // Parse/Bind/Describe/Execute/Sync in one go, text params with no declared
    // types (the server infers them), text results.
    const message = concat([
      s.parse({ text }),
      s.bind({ values: [...params] }),
      s.describe({ type: 'P' }),
      s.execute({}),
      s.sync(),
    ]);
    const messages = await this.#db.execProtocolStream(message, { throwOnError: false, syncToFs: false });
    return toResult(messages);
  }
}

function toResult(messages: BackendMessage[]): StatementResult {
  let fields: FieldInfo[] = [];
  const rows: (string | null)[][] = [];
  let tag = '';
  for (const msg of messages) {
    if (isPgError(msg)) throw msg;
    if (msg instanceof protocol.messages.RowDescriptionMessage) {
      fields = msg.fields.map((f) => ({
        name: f.name,
        tableID: f.tableID,
        columnID: f.columnID,
        dataTypeID: f.dataTypeID,
        dataTypeSize: f.dataTypeSize,
        dataTypeModifier: f.dataTypeModifier,
      }));
    } else if (msg instanceof protocol.messages.DataRowMessage) {
      rows.push(msg.fields);
    } else if (msg instanceof protocol.messages.CommandCompleteMessage) {
      tag = msg.text;
    }
  }
  return { fields, rows, ...parseCommandTag(tag) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * PGlite's login user is a superuser, so SET SESSION AUTHORIZATION would let a
 * non-superuser role become anyone, where a real server refuses it. The
 * RESET/DEFAULT forms stay allowed: after a real login they change nothing.
 */
function refuseSessionAuthorization(text: string): void {
  if (!/session[\s_]+authorization/i.test(text)) return;
  if (/^\s*(reset\s+session\s+authorization|set\s+session\s+authorization\s+default)\s*;?\s*$/i.test(text)) return;
  throw fromPgError({
    message: 'permission denied to set session authorization',
    code: '42501',
    severity: 'ERROR',
  });
}

/** Quotes an identifier the way quote_ident does, so any role name is safe in SET SESSION AUTHORIZATION. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

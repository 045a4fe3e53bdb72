/**
 * `POST /sql` once server.ts has read the connection string, the Neon-* headers
 * and the body (the proxy's `handle_db_inner` order): login → statements.
 * A single query runs alone (Postgres wraps it in an implicit transaction);
 * a batch runs inside BEGIN … COMMIT and is all-or-nothing: on the first
 * error it rolls back and answers only that error.
 */
import type { ConnInfo } from './conn-info.ts';
import { NeonHttpError } from './errors.ts';
import type { Session, SqlExecutor } from './executor.ts';
import { batchEchoHeaders, beginStatement, type RequestOptions } from './options.ts';
import type { Payload, QueryData } from './payload.ts';
import type { ArrayTypes } from './pg-text-json.ts';
import { resultToJson } from './result-json.ts';

export interface SqlHandlerDeps {
  executor: SqlExecutor;
  types: ArrayTypes;
  maxResponseBytes: number;
  /** Called once per statement sent to the database on the caller's behalf. */
  onQuery(): void;
}

/** The proxy sends these on every answer, errors included. */
export const JSON_HEADERS = { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' };

/** Runs a parsed request; throws what the proxy would answer with an error. */
export async function handleSql(
  conn: ConnInfo,
  opts: RequestOptions,
  payload: Payload,
  deps: SqlHandlerDeps,
): Promise<{ headers: Record<string, string>; body: string }> {
  if (payload.kind === 'single') {
    const body = await deps.executor.withSession(conn, (s) => runStatement(s, payload.query, opts, deps));
    return { headers: JSON_HEADERS, body };
  }
  const results = await deps.executor.withSession(conn, (s) => runBatch(s, payload.queries, opts, deps));
  const body = `{"results":[${results.join(',')}]}`;
  if (body.length > deps.maxResponseBytes) {
    throw new NeonHttpError(507, `response is too large (max is ${deps.maxResponseBytes} bytes)`);
  }
  return { headers: { ...JSON_HEADERS, ...batchEchoHeaders(opts) }, body };
}

async function runBatch(
  session: Session,
  queries: QueryData[],
  opts: RequestOptions,
  deps: SqlHandlerDeps,
): Promise<string[]> {
  await session.query(beginStatement(opts), []);
  const results: string[] = [];
  try {
    for (const q of queries) results.push(await runStatement(session, q, opts, deps));
  } catch (err) {
    // The failed statement's error is the answer; a failing ROLLBACK must not replace it.
    await session.query('ROLLBACK', []).catch(() => undefined);
    throw err;
  }
  await session.query('COMMIT', []);
  return results;
}

async function runStatement(
  session: Session,
  q: QueryData,
  opts: RequestOptions,
  deps: SqlHandlerDeps,
): Promise<string> {
  deps.onQuery();
  const res = await session.query(q.query, q.params);
  if (!opts.rawTextOutput)
    await deps.types.learn(
      session,
      res.fields.map((f) => f.dataTypeID),
    );
  return resultToJson(
    res,
    {
      arrayMode: q.arrayMode ?? opts.arrayMode,
      rawTextOutput: opts.rawTextOutput,
      maxResponseBytes: deps.maxResponseBytes,
    },
    deps.types,
  );
}

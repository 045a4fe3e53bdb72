/**
 * A small client written only against the generated `paths` types, as a frontend would be. It is
 * compiled by test/e2e/openapi.test.ts against types generated from the served document: a
 * response or request that changes shape breaks this file, and so the build.
 */
import type { paths } from 'qa-platform-openapi';

type Method = 'get' | 'post' | 'put' | 'delete';
/** Under `npm run typecheck` the types are the stand-in `any` (api-types.d.ts); everything stays `any` then. */
type IfAny<T, Yes, No> = 0 extends 1 & T ? Yes : No;
type PathWith<M extends Method> = IfAny<
  paths,
  string,
  { [P in Extract<keyof paths, string>]: paths[P] extends { [K in M]: { responses: unknown } } ? P : never }[Extract<
    keyof paths,
    string
  >]
>;
type Op<P, M extends Method> = IfAny<paths, any, P extends keyof paths ? paths[P][M] : never>;

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
/** The body of the operation's 2xx JSON response. */
type Success<O> = IfAny<
  O,
  any,
  O extends { responses: infer R }
    ? { [C in keyof R]: C extends 200 | 201 | 202 ? JsonOf<R[C]> : never }[keyof R]
    : never
>;
type Body<O> = IfAny<O, any, O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never>;
type Params<O> = O extends { parameters: infer P } ? P : never;
type Query<O> = IfAny<O, any, Params<O> extends { query?: infer Q } ? Q : never>;
type Item<A> = IfAny<A, any, A extends readonly (infer I)[] ? I : never>;
type Path<O> = IfAny<O, any, Params<O> extends { path: infer Q } ? Q : never>;

interface Init<O> {
  path?: Path<O>;
  query?: Query<O>;
  body?: Body<O>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(`API answered ${status}`);
  }
}

export function createClient(baseUrl: string, token?: string) {
  async function request<M extends Method, P extends PathWith<M>>(
    method: M,
    path: P,
    init: Init<Op<P, M>> = {},
  ): Promise<Success<Op<P, M>>> {
    const pathParams = (init.path ?? {}) as Record<string, string>;
    let url = String(path).replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathParams[name] ?? ''));
    const query = new URLSearchParams(
      Object.entries((init.query ?? {}) as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    ).toString();
    if (query) url += `?${query}`;
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + url, {
      method: method.toUpperCase(),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    return (await res.json()) as Success<Op<P, M>>;
  }
  return {
    get: <P extends PathWith<'get'>>(path: P, init?: Init<Op<P, 'get'>>) => request('get', path, init),
    post: <P extends PathWith<'post'>>(path: P, init?: Init<Op<P, 'post'>>) => request('post', path, init),
  };
}

export async function isHealthy(baseUrl: string): Promise<boolean> {
  const health = await createClient(baseUrl).get('/health');
  const status: 'ok' = health.status;
  return status === 'ok';
}

export async function login(baseUrl: string, username: string, password: string, tenant: string) {
  const tokens = await createClient(baseUrl).post('/api/auth/login', {
    body: { username, password, tenant_id: tenant },
  });
  const type: 'Bearer' = tokens.token_type;
  return { accessToken: tokens.access_token, type, expiresIn: tokens.expires_in, user: tokens.user_info.id };
}

/** A supervisor's worklist: completed calls that scored low. */
export async function lowScoringCalls(baseUrl: string, token: string) {
  const page = await createClient(baseUrl, token).get('/api/calls', {
    query: { status: 'completed', max_score: 60, limit: 50 },
  });
  const pages: number = page.pagination.total_pages;
  return {
    pages,
    calls: page.data.map((call: Item<typeof page.data>) => ({
      id: call.id,
      score: call.overall_score,
      agent: call.agent_id,
      tags: call.tags.join(', '),
    })),
  };
}

/** Why a call scored as it did: each criterion with its first evidence quote. */
export async function evaluationOf(baseUrl: string, token: string, callId: string) {
  const analysis = await createClient(baseUrl, token).get('/api/calls/{call_id}/analysis', {
    path: { call_id: callId },
  });
  const current = analysis.current;
  if (!current) return null;
  const run: 'initial' | 're-analysis' = current.run;
  return {
    run,
    score: current.overall_score,
    // Null for a call scored by hand (a manual criteria set): no model judged the conversation.
    churnRisk: current.customer_behavior?.churn_risk ?? null,
    sentiment: current.sentiment?.overall ?? null,
    compliant: current.compliance.every((item: Item<typeof current.compliance>) => item.met),
    criteria: current.criteria.map((c: Item<typeof current.criteria>) => ({
      name: c.name,
      passed: c.passed,
      points: `${c.score}/${c.max_points}`,
      quote: c.evidence[0]?.quote ?? null,
      at: c.evidence[0]?.start_seconds ?? null,
    })),
    earlier: analysis.history.map((e: Item<typeof analysis.history>) => e.overall_score),
  };
}

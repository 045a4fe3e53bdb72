/**
 * The generated /openapi.json is the contract clients are built from; these checks keep it one a
 * generator and a linter can rely on. The Redocly lint and the generated-client type check run in
 * test/e2e/openapi.test.ts (they need Node processes, which workerd cannot start).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, json } from './helpers';

type Operation = Record<string, any> & { operationId?: string; security?: unknown[]; tags?: string[] };
let doc: any;
let operations: { method: string; path: string; op: Operation }[];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// The fields of an OpenAPI 3.1 Operation Object; anything else (other than x-*) is a leak from route code.
const OPERATION_FIELDS = new Set([
  'tags',
  'summary',
  'description',
  'externalDocs',
  'operationId',
  'parameters',
  'requestBody',
  'responses',
  'callbacks',
  'deprecated',
  'security',
  'servers',
]);
// Mounted before `authenticate` in src/app.ts: they carry no bearer token.
const PUBLIC = [
  'get /health',
  'get /health/ready',
  'post /api/auth/login',
  'post /api/auth/refresh',
  'get /api/command-center/ws',
  'post /webhooks/assemblyai',
  'post /webhooks/generic',
  'post /webhooks/twilio/call-status',
  'post /webhooks/twilio/recording-status',
];

function resolve(schema: any): any {
  if (schema?.$ref) return resolve(doc.components.schemas[schema.$ref.split('/').pop()]);
  return schema;
}

/** Paths inside a schema where an object accepts any key with any value and says nothing about it. */
function opaqueRecords(schema: any, at: string, seen = new Set<string>()): string[] {
  if (!schema || typeof schema !== 'object') return [];
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return [];
    seen.add(schema.$ref);
    return opaqueRecords(resolve(schema), `${at}→${schema.$ref.split('/').pop()}`, seen);
  }
  const found: string[] = [];
  const ap = schema.additionalProperties;
  const isOpaque = ap !== undefined && (ap === true || Object.keys(ap).length === 0);
  if (isOpaque && !schema.properties && !schema.description) found.push(at);
  for (const [k, v] of Object.entries(schema.properties ?? {})) found.push(...opaqueRecords(v, `${at}.${k}`, seen));
  if (ap && typeof ap === 'object') found.push(...opaqueRecords(ap, `${at}.*`, seen));
  if (schema.items) found.push(...opaqueRecords(schema.items, `${at}[]`, seen));
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    for (const [i, s] of (schema[key] ?? []).entries()) found.push(...opaqueRecords(s, `${at}|${i}`, seen));
  return found;
}

beforeAll(async () => {
  const res = await call('/openapi.json');
  expect(res.status).toBe(200);
  doc = await json(res);
  operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
});

describe('the OpenAPI document', () => {
  it('gives every operation a readable operationId, unique across the document', () => {
    const missing = operations.filter(({ op }) => !op.operationId).map(({ method, path }) => `${method} ${path}`);
    expect(missing, 'operations without an operationId').toEqual([]);
    const ids = operations.map(({ op }) => op.operationId!);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(duplicates, 'client generators need unique operationIds').toEqual([]);
    for (const id of ids) expect(id, 'operationIds are lowerCamelCase identifiers').toMatch(/^[a-z][A-Za-z0-9]+$/);
    expect(ids).toEqual(
      expect.arrayContaining([
        'listCalls',
        'getCall',
        'uploadCall',
        'createPresignedUpload',
        'listCoachCourses',
        'createCoachCourse',
        'getCoachCourse',
        'updateCoachCourse',
        'listCoachAssignments',
        'createCoachAssignments',
        'getCoachAssignment',
        'updateCoachAssignment',
        'getCoachAssignmentProgress',
        'recordCoachProgress',
        'listComplianceTemplates',
        'createComplianceTemplate',
        'getComplianceTemplate',
        'updateComplianceTemplate',
        'deleteComplianceTemplate',
        'updateCriteriaSet',
      ]),
    );
  });

  it('holds only OpenAPI fields in its operations (no route middleware leaks into it)', () => {
    for (const { method, path, op } of operations) {
      const unknown = Object.keys(op).filter((k) => !OPERATION_FIELDS.has(k) && !k.startsWith('x-'));
      expect(unknown, `${method} ${path}`).toEqual([]);
    }
    expect(JSON.stringify(doc)).not.toContain('"middleware"');
  });

  it('marks the public operations `security: []` and every other one bearer', () => {
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    const open = operations
      .filter(({ op }) => Array.isArray(op.security) && op.security.length === 0)
      .map(({ method, path }) => `${method} ${path}`)
      .sort();
    expect(open).toEqual([...PUBLIC].sort());
    for (const { method, path, op } of operations) {
      if (PUBLIC.includes(`${method} ${path}`)) continue;
      expect(op.security, `${method} ${path} needs a token`).toEqual([{ bearerAuth: [] }]);
    }
  });

  it('describes every tag it uses, names its servers and its license', () => {
    const declared = new Map((doc.tags as { name: string; description?: string }[]).map((t) => [t.name, t]));
    for (const { method, path, op } of operations) {
      expect(op.tags?.length, `${method} ${path} has a tag`).toBeGreaterThan(0);
      for (const tag of op.tags!) expect(declared.get(tag)?.description, `tag ${tag} is described`).toBeTruthy();
    }
    expect(doc.servers[0].url).toMatch(/^https?:\/\//);
    expect(doc.info.license.identifier).toBe('Apache-2.0');
  });

  it('documents a success body and the problem responses of every operation', () => {
    for (const { method, path, op } of operations) {
      const where = `${method} ${path}`;
      const codes = Object.keys(op.responses);
      if (where === 'get /api/command-center/ws') {
        // A WebSocket upgrade succeeds with 101; Redocly's 2xx rule is off for that reason.
        expect(codes).toContain('101');
      } else {
        const ok = codes.filter((c) => /^2\d\d$/.test(c));
        expect(ok.length, `${where} documents a 2xx`).toBeGreaterThan(0);
        for (const code of ok) {
          if (code === '204') continue;
          // JSON, or a file (a report download) in its own media types.
          const bodies = Object.values(op.responses[code].content ?? {}) as { schema?: unknown }[];
          expect(bodies.length > 0 && bodies.every((b) => !!b.schema), `${where} ${code} has a body`).toBe(true);
        }
      }
      // Redocly's 4xx rule is off (the health checks take no input, so no client error); this stands in for it.
      if (where !== 'get /health' && where !== 'get /health/ready')
        expect(codes, `${where} documents its problems`).toContain('422');
    }
  });

  it('keeps null at the use site: no component schema is itself nullable', () => {
    // `.nullable()` on a named zod schema makes its component nullable everywhere it is used.
    const nullable = Object.entries(doc.components.schemas as Record<string, any>)
      .filter(([, s]) => [s.type, ...(s.allOf ?? []).map((p: any) => p.type)].flat().includes('null'))
      .map(([name]) => name);
    expect(nullable, 'use orNull(Schema) from src/routes/shared/schemas.ts').toEqual([]);
  });

  it('describes what every success body holds: no anonymous free-form objects', () => {
    const opaque = operations.flatMap(({ method, path, op }) =>
      Object.entries(op.responses as Record<string, any>)
        .filter(([code]) => /^2\d\d$/.test(code))
        .flatMap(([code, r]) => opaqueRecords(r.content?.['application/json']?.schema, `${method} ${path} ${code}`)),
    );
    expect(opaque, 'a free-form map must say what its keys and values are').toEqual([]);
  });
});

describe('the /docs page', () => {
  it('loads the reference bundle from this API, not from a CDN', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<script src="/docs/scalar.js"');
    expect(html, 'no script or font from another origin').not.toMatch(/<script[^>]+src="https?:/);
    expect(html).not.toContain('cdn.jsdelivr.net');
  });
});

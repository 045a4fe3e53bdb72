/**
 * The contract as tools consume it: the document the running Worker serves is linted by Redocly,
 * and the /docs page renders it in a browser with no network beyond the API itself. Both need
 * Node (child processes, a browser), so they run against the stack under `wrangler dev`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startStack, type Stack } from '../../dev/stack.ts';
import { E2E_PORTS } from './stack.ts';

const run = promisify(execFile);

// Ports of their own, so this file can run beside the pipeline suite.
const PORTS = Object.fromEntries(Object.entries(E2E_PORTS).map(([k, p]) => [k, p + 2000])) as typeof E2E_PORTS;

let stack: Stack;
let dir: string;
let documentFile: string;
let document: any;

beforeAll(async () => {
  stack = await startStack({ ports: PORTS });
  dir = await mkdtemp(join(tmpdir(), 'qa-openapi-'));
  const res = await fetch(`${stack.apiUrl}/openapi.json`);
  expect(res.status).toBe(200);
  document = await res.json();
  documentFile = join(dir, 'openapi.json');
  await writeFile(documentFile, JSON.stringify(document, null, 2));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the served OpenAPI document', () => {
  it('passes Redocly lint (redocly.yaml: recommended rules) with no errors and no warnings', async () => {
    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/redocly'),
      ['lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', documentFile],
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems, 'every Redocly finding, if any').toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});

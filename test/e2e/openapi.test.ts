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
import openapiTS, { astToString } from 'openapi-typescript';
import type { Browser } from 'playwright-core';
import { describeWithBrowser, launchChromium } from './chromium';
import ts from 'typescript';
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
let browser: Browser | undefined;

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
  await browser?.close();
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

/** Type-checks `files` with the generated types as the `qa-platform-openapi` module; returns the diagnostics as text. */
function typeCheck(files: string[], typesFile: string): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    noEmit: true,
    skipLibCheck: true,
    paths: { 'qa-platform-openapi': [typesFile] },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('a client generated from the document', () => {
  const client = join(ROOT, 'test/contract/client.ts');
  let typesFile: string;

  beforeAll(async () => {
    typesFile = join(dir, 'qa-platform-openapi.ts');
    await writeFile(typesFile, astToString(await openapiTS(document)));
  });

  it('type-checks test/contract/client.ts against the generated types', () => {
    expect(typeCheck([client], typesFile), 'the contract changed under its clients').toEqual([]);
  });

  it('rejects a client that misuses the contract (the generated types are not `any`)', async () => {
    const misuse = join(dir, 'misuse.ts');
    await writeFile(
      misuse,
      [
        `import { createClient } from ${JSON.stringify(client)};`,
        `const api = createClient('http://127.0.0.1');`,
        `export const a = api.get('/api/calls/{call_id}', { path: { call_id: 'x' } }).then((d) => d.call_info.no_such_field);`,
        `export const b = api.post('/api/auth/login', { body: { username: 'u' } });`,
        `export const c = api.get('/api/no-such-route');`,
        `export const d = api.get('/api/calls', { query: { status: 'no-such-status' } });`,
      ].join('\n'),
    );
    const errors = typeCheck([misuse], typesFile).filter((e) => e.startsWith(misuse));
    for (const line of [3, 4, 5, 6])
      expect(
        errors.some((e) => e.startsWith(`${misuse}:${line} `)),
        `line ${line}: ${errors.join('\n')}`,
      ).toBe(true);
  });
});

describeWithBrowser('the /docs page', () => {
  it('renders the operations with no network beyond the API itself', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const origin = new URL(stack.apiUrl).origin;
    const blocked: string[] = [];
    const failed: string[] = [];
    // As on a machine with no internet: anything not from the API is refused.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
      blocked.push(url);
      return route.abort('internetdisconnected');
    });
    page.on('requestfailed', (r) => failed.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    const res = await page.goto(`${stack.apiUrl}/docs`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    // The sidebar lists every tag; a group shows its operations' summaries once opened.
    const visible = (text: string) => page.getByText(text, { exact: true }).first().waitFor({ timeout: 30_000 });
    await visible(document.paths['/health'].get.summary);
    for (const [tag, op] of [
      ['Calls', document.paths['/api/calls'].get],
      ['Calls', document.paths['/api/calls/{call_id}/analysis'].get],
      ['Auth', document.paths['/api/auth/login'].post],
    ]) {
      const open = page.getByRole('button', { name: `Open Group - ${tag}` });
      if (await open.count()) await open.first().click();
      await visible(op.summary);
    }
    expect(errors, 'no script errors on the page').toEqual([]);
    expect(blocked, 'the page needs nothing from another origin').toEqual([]);
    expect(failed.filter((u) => u.startsWith(origin))).toEqual([]);

    const bundle = await fetch(`${stack.apiUrl}/docs/scalar.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(bundle.headers.get('cache-control'), 'the 4.8 MB bundle is cached by browsers').toMatch(/max-age=\d+/);
  });
});

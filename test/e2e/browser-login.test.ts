/**
 * A browser signs in the way the web frontend does: oidc-client-ts in headless Chromium runs the
 * authorization code flow with PKCE against the Keycloak stand-in of the local stack (`npm run dev`'s
 * `startStack`), then calls the API with the access token it got.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { describeWithBrowser, launchChromium } from './chromium';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeServer, listenOn } from '../../dev/shared/http.ts';
import { startStack, type Stack } from '../../dev/stack.ts';

const offset = Number(process.env.QA_TEST_PORT_OFFSET ?? 0);
const PORTS = {
  api: 29787 + offset,
  keycloak: 29080 + offset,
  neon: 25444 + offset,
  assemblyai: 29081 + offset,
  openai: 29082 + offset,
  twilio: 29083 + offset,
};
// A loopback IP origin: qa-web's `http://127.0.0.1/*` redirect URI covers any port on it.
const PAGE_PORT = 29090 + offset;
const PAGE_ORIGIN = `http://127.0.0.1:${PAGE_PORT}`;
const OIDC_BUNDLE = fileURLToPath(
  new URL('../../node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js', import.meta.url),
);

let stack: Stack;
let page: Server;
let browser: Browser;

/** The test app: `/` starts the login, `/callback` finishes it and asks the API who signed in. */
function appPage(script: string, settings: Record<string, string>, apiUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>QA web</title>
<script src="/oidc-client-ts.min.js"></script></head><body>
<script>
const settings = ${JSON.stringify(settings)};
const apiUrl = ${JSON.stringify(apiUrl)};
const manager = new oidc.UserManager(settings);
${script}
</script></body></html>`;
}

const START = `manager.signinRedirect({ state: { returnTo: '/' } }).catch((e) => { document.body.dataset.error = String(e); });`;
const CALLBACK = `(async () => {
  try {
    const user = await manager.signinRedirectCallback();
    const res = await fetch(apiUrl + '/api/auth/profile', { headers: { authorization: 'Bearer ' + user.access_token } });
    document.body.dataset.result = JSON.stringify({
      status: res.status,
      profile: await res.json(),
      subject: user.profile.sub,
      idTokenPresent: typeof user.id_token === 'string',
    });
  } catch (e) {
    document.body.dataset.error = String(e);
  }
})();`;

async function startPageServer(settings: Record<string, string>, apiUrl: string): Promise<Server> {
  const bundle = await readFile(OIDC_BUNDLE);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', PAGE_ORIGIN).pathname;
    if (path === '/oidc-client-ts.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (path === '/' || path === '/callback') {
      const html = appPage(path === '/' ? START : CALLBACK, settings, apiUrl);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await listenOn(server, PAGE_PORT, '127.0.0.1');
  return server;
}

describeWithBrowser('browser login with oidc-client-ts', () => {
  beforeAll(async () => {
    stack = await startStack({
      ports: PORTS,
      vars: {
        ALLOWED_ORIGINS: PAGE_ORIGIN,
      },
    });
    page = await startPageServer(
      {
        authority: `${stack.keycloak.url}/realms/qa-acme`,
        client_id: 'qa-web',
        redirect_uri: `${PAGE_ORIGIN}/callback`,
        response_type: 'code',
        scope: 'openid',
      },
      stack.apiUrl,
    );
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (page) await closeServer(page);
    await stack?.stop();
  });

  it('signs in with code + PKCE on the Keycloak login form and calls the API with the token', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const authRequests: URL[] = [];
    tab.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname.endsWith('/protocol/openid-connect/auth')) authRequests.push(url);
    });

    await tab.goto(`${PAGE_ORIGIN}/`);
    await tab.waitForURL((url) => url.href.startsWith(`${stack.keycloak.url}/realms/qa-acme/`));
    expect(authRequests).toHaveLength(1);
    const params = authRequests[0]!.searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('client_id')).toBe('qa-web');

    await tab.fill('#username', 'manager@acme.test');
    await tab.fill('#password', 'wrong-password');
    await tab.click('#kc-login');
    await expect(tab.locator('#input-error').textContent()).resolves.toBe('Invalid username or password.');

    await tab.fill('#password', 'dev-password');
    await tab.click('#kc-login');
    await tab.waitForURL((url) => url.href.startsWith(`${PAGE_ORIGIN}/callback`));
    const body = tab.locator('body');
    // A string, not a function: this file is type-checked without the DOM library.
    await tab.waitForFunction('document.body.dataset.result || document.body.dataset.error', null, { timeout: 30_000 });
    expect(await body.getAttribute('data-error')).toBeNull();
    const result = JSON.parse((await body.getAttribute('data-result')) ?? '{}') as {
      status: number;
      profile: { user_profile: { email: string; role: string }; tenant_info: { tenant_id: string } | null };
      subject: string;
      idTokenPresent: boolean;
    };
    expect(result.status).toBe(200);
    expect(result.profile.user_profile).toMatchObject({ email: 'manager@acme.test', role: 'manager' });
    expect(result.profile.tenant_info?.tenant_id).toBe('acme');
    expect(result.idTokenPresent).toBe(true);
    expect(result.subject).toBe('ac000000-0000-4000-8000-000000000002');
    await context.close();
  });
});

/**
 * The live command center under load.
 *   npm run bench:command-center
 * Opens SOCKETS WebSockets on tenant acme and as many on globex (each with its own one-time
 * ticket), publishes ALERTS alerts to acme through the API, and reports delivery latency p50/p99
 * across all of acme's sockets (from the POST that raises the alert to the frame on each socket),
 * deliveries to globex (must be 0) and workerd's memory per socket. Writes its section of
 * bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { startStack, type Stack } from '../dev/stack.ts';
import { machine, writeSection } from './results.ts';

const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1000);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 20);
const ports = { api: 9807, keycloak: 19100, neon: 14465, assemblyai: 19101, openai: 19102, twilio: 19103 };

async function login(stack: Stack, username: string, tenant: string) {
  const res = await fetch(`${stack.apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'dev-password', tenant_id: tenant }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

function workerdRssKb(): number {
  return execFileSync('ps', ['-C', 'workerd', '-o', 'rss='])
    .toString()
    .trim()
    .split('\n')
    .map(Number)
    .reduce((a, b) => a + b, 0);
}

interface Client {
  ws: WebSocket;
  received: Map<string, number>;
}

async function openSockets(
  stack: Stack,
  token: string,
  n: number,
  onAlert: (title: string, at: number) => void,
): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const res = await fetch(`${stack.apiUrl}/api/command-center/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        const { url } = (await res.json()) as { url: string };
        const ws = new WebSocket(url);
        const client: Client = { ws, received: new Map() };
        await new Promise<void>((resolve, reject) => {
          ws.addEventListener('message', (e) => {
            const frame = JSON.parse(String(e.data)) as { type: string; data: { title?: string } };
            if (frame.type === 'snapshot') resolve();
            if (frame.type === 'alert.created' && frame.data.title) {
              const at = performance.now();
              client.received.set(frame.data.title, at);
              onAlert(frame.data.title, at);
            }
          });
          ws.addEventListener('error', () => reject(new Error('socket error')));
        });
        return client;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const stack = await startStack({ ports, databaseUrl: process.env.DATABASE_URL });
try {
  const acmeToken = await login(stack, 'manager@acme.test', 'acme');
  const globexToken = await login(stack, 'manager@globex.test', 'globex');
  // Wake both hubs before measuring memory.
  for (const t of [acmeToken, globexToken])
    await fetch(`${stack.apiUrl}/api/command-center/realtime`, { headers: { authorization: `Bearer ${t}` } });
  const idleKb = workerdRssKb();

  let globexDeliveries = 0;
  const acme = await openSockets(stack, acmeToken, SOCKETS, () => {});
  const globex = await openSockets(stack, globexToken, SOCKETS, () => globexDeliveries++);
  await new Promise((r) => setTimeout(r, 2_000));
  const connectedKb = workerdRssKb();

  const latencies: number[] = [];
  let missing = 0;
  for (let i = 0; i < ALERTS; i++) {
    const title = `bench-alert-${i}`;
    const sentAt = performance.now();
    const res = await fetch(`${stack.apiUrl}/api/command-center/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acmeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'bench', severity: 'low', title }),
    });
    if (res.status !== 201) throw new Error(`alert ${i}: ${res.status}`);
    const deadline = Date.now() + 10_000;
    while (acme.some((c) => !c.received.has(title)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    for (const c of acme) {
      const at = c.received.get(title);
      if (at === undefined) missing++;
      else latencies.push(at - sentAt);
    }
  }
  await new Promise((r) => setTimeout(r, 1_000));
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const perSocketKb = (connectedKb - idleKb) / (SOCKETS * 2);
  console.log({
    sockets: SOCKETS * 2,
    deliveries: latencies.length,
    missing,
    p50,
    p99,
    globexDeliveries,
    idleMb: idleKb / 1024,
    connectedMb: connectedKb / 1024,
    perSocketKb,
  });
  for (const c of [...acme, ...globex]) c.ws.close();

  await writeSection(
    'command-center',
    `## Command center: ${SOCKETS} + ${SOCKETS} WebSockets

Command: \`npm run bench:command-center\` (bench/command-center.ts), ${new Date().toISOString().slice(0, 10)}.
${SOCKETS} sockets on tenant acme and ${SOCKETS} on globex, each opened with its own one-time ticket, through
\`wrangler dev\` (workerd) from Node's WebSocket client on loopback; ${ALERTS} alerts raised on acme with
\`POST /api/command-center/alerts\` one after another (each written to Postgres, audited, then pushed
by acme's TenantHub). Machine: ${machine()}.

| measure | value |
|---|---:|
| sockets open | ${SOCKETS * 2} |
| deliveries to acme's sockets | ${latencies.length} of ${SOCKETS * ALERTS}${missing ? ` (${missing} missing)` : ''} |
| delivery latency p50 (POST → frame on the socket) | ${p50.toFixed(1)} ms |
| delivery latency p99 | ${p99.toFixed(1)} ms |
| **deliveries to globex's sockets** | **${globexDeliveries}** |
| workerd memory, hubs awake, no sockets | ${(idleKb / 1024).toFixed(0)} MB |
| workerd memory with ${SOCKETS * 2} sockets | ${(connectedKb / 1024).toFixed(0)} MB |
| memory per socket (workerd, both processes) | ${perSocketKb.toFixed(1)} KB |

The latency includes the API request, the Postgres write and its audit row, the RPC to the hub,
and the hub writing ${SOCKETS} frames: the p99 is the last sockets of each fan-out. The load
generator shares the 2 cores with workerd.

The memory figure is the whole local runtime (both workerd processes of \`wrangler dev\`) divided by
the sockets, and includes the 2,000 ticket requests that opened them and the entry Worker that
forwarded each upgrade to the hub: an upper bound for the whole local runtime, not the hub's own
per-socket cost, which this machine cannot measure apart.`,
  );
  console.log('wrote bench/RESULTS.md');
} finally {
  await stack.stop();
}

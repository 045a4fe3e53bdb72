import { statSync } from 'node:fs';
import type { Plugin } from 'vitest/config';

/**
 * Keeps vitest's warm-module snapshot under workerd's WebSocket message limit.
 *
 * From the second test file on, a runner asks the server once for every module of its file's
 * import graph that is already transformed (`fetchWarmModules`), and the Cloudflare pool inlines
 * each module's code into that one reply, the dependencies twice (by URL and by id). With the
 * report writers' libraries in the graph the reply passed 32 MiB, workerd closed the socket with
 * 1009 "Message is too large" and every later file's runner died at start. Trimming the snapshot
 * to a byte budget is safe: a module left out is fetched on its own, as on a cold start.
 */
const WARM_BUDGET_BYTES = 8 * 1024 * 1024;

type PoolRunner = {
  createPoolWorker: (options: unknown) => PoolWorker;
  [key: string]: unknown;
};
type PoolWorker = {
  on: (event: string, callback: (message: unknown) => void) => void;
  send: (message: unknown) => void;
};
type RpcMessage = { t?: string; m?: string; i?: string; r?: unknown };

export function boundedWarmModules(): Plugin {
  return {
    name: 'qa:bounded-warm-modules',
    configureVitest({ project }) {
      const runner = project.config.poolRunner as PoolRunner | undefined;
      if (!runner) return;
      project.config.poolRunner = {
        ...runner,
        createPoolWorker(options: unknown) {
          const worker = runner.createPoolWorker(options);
          const warmRequests = new Set<string>();
          const on = worker.on.bind(worker);
          worker.on = (event, callback) =>
            on(event, (message) => {
              const m = message as RpcMessage;
              if (event === 'message' && m?.t === 'q' && m.m === 'fetchWarmModules' && m.i) warmRequests.add(m.i);
              callback(message);
            });
          const send = worker.send.bind(worker);
          worker.send = (message) => {
            const m = message as RpcMessage;
            if (m?.t === 's' && m.i && warmRequests.delete(m.i) && m.r && typeof m.r === 'object') {
              return send({ ...m, r: withinBudget(m.r as Record<string, { tmp?: unknown }>) });
            }
            return send(message);
          };
          return worker;
        },
      } as typeof project.config.poolRunner;
    },
  };
}

function withinBudget(warm: Record<string, { tmp?: unknown }>) {
  const kept: Record<string, unknown> = {};
  let bytes = 0;
  for (const [url, entry] of Object.entries(warm)) {
    const size = typeof entry?.tmp === 'string' ? fileSize(entry.tmp) : 0;
    if (bytes + size > WARM_BUDGET_BYTES) continue;
    bytes += size;
    kept[url] = entry;
  }
  return kept;
}

function fileSize(path: string) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

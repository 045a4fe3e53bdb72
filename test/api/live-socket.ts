/** WebSockets of the command center as tests hold them: the frames received, and waits on them. */
import { exports } from 'cloudflare:workers';
import type { Frame } from '../../durable-objects/tenant-hub';

const worker = (exports as unknown as { default: Fetcher }).default;

/** A live socket with the frames it received. */
export interface Live {
  ws: WebSocket;
  frames: Frame[];
  next(type: string, ms?: number): Promise<Frame>;
  none(type: string, ms?: number): Promise<void>;
}

export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const u = new URL(url);
  return worker.fetch(
    new Request(`http://api.test${u.pathname}${u.search}`, { headers: { upgrade: 'websocket', ...headers } }),
  );
}

export function live(res: Response): Live {
  const ws = res.webSocket;
  if (!ws) throw new Error(`no socket: ${res.status}`);
  ws.accept();
  const frames: Frame[] = [];
  const waiters: { type: string; resolve: (f: Frame) => void }[] = [];
  ws.addEventListener('message', (e) => {
    const frame = JSON.parse(String(e.data)) as Frame;
    frames.push(frame);
    for (const w of waiters.filter((w) => w.type === frame.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(frame);
    }
  });
  return {
    ws,
    frames,
    next(type, ms = 5_000) {
      return new Promise((resolve, reject) => {
        const seen = frames.find((f) => f.type === type && !(f as { taken?: boolean }).taken);
        if (seen) {
          (seen as { taken?: boolean }).taken = true;
          return resolve(seen);
        }
        const timer = setTimeout(
          () => reject(new Error(`no ${type} frame within ${ms} ms; got ${frames.map((f) => f.type).join(',')}`)),
          ms,
        );
        waiters.push({
          type,
          resolve: (f) => (clearTimeout(timer), ((f as { taken?: boolean }).taken = true), resolve(f)),
        });
      });
    },
    async none(type, ms = 500) {
      await new Promise((r) => setTimeout(r, ms));
      const got = frames.filter((f) => f.type === type);
      if (got.length) throw new Error(`unexpected ${type} frames: ${JSON.stringify(got)}`);
    },
  };
}

/**
 * A local stand-in for OpenAI's Chat Completions API, for the real `openai` SDK pointed at it
 * with `new OpenAI({ apiKey, baseURL: standIn.url })` (the URL includes `/v1`).
 *
 * Routes:
 *   POST /v1/chat/completions   structured outputs for the product's features (responders/)
 *   GET|POST /__config          read / change behaviour (JSON partial OpenAIBehaviour)
 *   GET /__stats, POST /__stats/reset
 * Only /v1 is subject to the API key, latency and injected failures.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { sleep } from '../shared/http.ts';
import { serveStandIn } from '../shared/serve.ts';
import { DEFAULT_BEHAVIOUR, describeBehaviour, mergeBehaviour, type OpenAIBehaviour } from './behaviour.ts';
import { parseChatRequest } from './chat-request.ts';
import { chatCompletion, type Outcome } from './completion.ts';
import { authError, invalidRequest, OpenAIError, rateLimited, serverError } from './errors.ts';
import { structuredAnswer } from './responders/index.ts';

export type { OpenAIBehaviour } from './behaviour.ts';

export interface OpenAIStandIn {
  /** Base URL including /v1, ready for the SDK's `baseURL`. */
  url: string;
  close(): Promise<void>;
  configure(c: Partial<OpenAIBehaviour>): void;
  stats(): OpenAIStats;
  resetStats(): void;
}

/** Counters since the last reset; `features` counts completions per response_format name. */
export interface OpenAIStats {
  completions: number;
  httpErrors: number;
  features: Record<string, number>;
}

export interface StartOpenAIOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  behaviour?: Partial<OpenAIBehaviour> | undefined;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** `[[slow]]` in the messages delays that one request, whatever the configured latency. */
const SLOW_MARKER = '[[slow]]';
const SLOW_MARKER_MS = 1_500;

/**
 * Markers in the messages force one outcome for one request, whatever the configured rates say.
 * `[[refuse]]` applies to every feature; `[[refuse:coaching_course]]` to that feature only, so a
 * marker in a call's transcript can reach a later feature's prompt without failing its scoring.
 */
const MARKERS: [string, Outcome][] = [
  ['refuse', 'refusal'],
  ['truncate', 'truncated'],
  ['content_filter', 'content_filter'],
];
const markedOutcome = (promptText: string, feature: string): Outcome | undefined =>
  MARKERS.find(([m]) => promptText.includes(`[[${m}]]`) || promptText.includes(`[[${m}:${feature}]]`))?.[1];

export async function startOpenAI(opts: StartOpenAIOptions): Promise<OpenAIStandIn> {
  let behaviour = mergeBehaviour(DEFAULT_BEHAVIOUR, opts.behaviour ?? {});
  const counters: OpenAIStats = { completions: 0, httpErrors: 0, features: {} };
  const closing = new AbortController();
  const resetStats = () => Object.assign(counters, { completions: 0, httpErrors: 0, features: {} });
  const readJson = async (req: { text(): Promise<string> }): Promise<unknown> => {
    try {
      return JSON.parse(await req.text());
    } catch {
      throw invalidRequest(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      );
    }
  };

  const app = new Hono();
  app.use(async (c, next) => {
    c.header('x-request-id', `req_${randomBytes(16).toString('hex')}`);
    await next();
  });

  app.get('/__stats', (c) => c.json(counters));
  app.post('/__stats/reset', (c) => c.json(resetStats()));
  app.get('/__config', (c) => c.json(describeBehaviour(behaviour)));
  app.post('/__config', async (c) => {
    try {
      behaviour = mergeBehaviour(behaviour, await readJson(c.req));
    } catch (err) {
      throw err instanceof OpenAIError ? err : invalidRequest((err as Error).message);
    }
    return c.json(describeBehaviour(behaviour));
  });

  app.use(
    '/v1/*',
    async (c, next) => {
      const current = behaviour;
      if (current.apiKey !== undefined) {
        const presented = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
        if (presented !== current.apiKey) throw authError(presented);
      }
      const started = Date.now();
      await sleep(current.latencyMs, closing.signal);
      if (Math.random() < current.httpErrorRate) {
        counters.httpErrors++;
        const status = current.httpErrorStatus ?? (Math.random() < 0.5 ? 500 : 429);
        throw status === 500 ? serverError() : rateLimited('gpt-4o');
      }
      await next();
      c.header('openai-processing-ms', String(Date.now() - started));
      c.header('openai-version', '2020-10-01');
    },
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        const tooLarge = new OpenAIError(413, `Request too large: the body may not exceed ${MAX_BODY_BYTES} bytes.`);
        return c.json(tooLarge.body(), 413);
      },
    }),
  );

  app.post('/v1/chat/completions', async (c) => {
    const req = parseChatRequest(await readJson(c.req));
    const content = structuredAnswer(req.format, req.messages);
    const promptText = req.messages.map((m) => m.content).join('\n');
    if (promptText.includes(SLOW_MARKER)) await sleep(SLOW_MARKER_MS, closing.signal);
    const current = behaviour;
    const outcome: Outcome =
      markedOutcome(promptText, req.format.name) ??
      (Math.random() < current.refusalRate
        ? 'refusal'
        : Math.random() < current.truncationRate
          ? 'truncated'
          : 'answer');
    counters.completions++;
    counters.features[req.format.name] = (counters.features[req.format.name] ?? 0) + 1;
    return c.json(chatCompletion(req.model, promptText, content, outcome));
  });

  app.notFound((c) =>
    c.json(new OpenAIError(404, `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`).body(), 404),
  );
  app.onError((err, c) => {
    if (err instanceof OpenAIError) return c.json(err.body(), err.status as ContentfulStatusCode);
    console.error('[openai] unhandled:', err);
    return c.json(serverError().body(), 500);
  });

  const running = await serveStandIn(app, opts.port, opts.host ?? '127.0.0.1');
  let closed: Promise<void> | undefined;
  return {
    url: `${running.origin}/v1`,
    configure(c) {
      behaviour = mergeBehaviour(behaviour, c);
    },
    stats: () => ({ ...counters, features: { ...counters.features } }),
    resetStats,
    close() {
      closed ??= (closing.abort(), running.close());
      return closed;
    },
  };
}

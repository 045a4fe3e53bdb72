/**
 * The stand-in's outbox: a directory with one `.eml` per message and a `.json` beside it holding
 * what was sent as fields (what tests and `GET /__messages` read). The JSON also keeps the
 * idempotency key and the request's hash, so a restarted stand-in still answers a retried send
 * with the message it already wrote.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toEml } from './eml.ts';
import type { EmailRequest } from './send-request.ts';

export interface StoredMessage extends EmailRequest {
  id: string;
  created_at: string;
  idempotency_key: string | null;
  request_hash: string;
  eml_path: string;
  json_path: string;
}

export class Outbox {
  constructor(readonly dir: string) {}

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Writes the message's two files; the name sorts by time, then by id. */
  async write(
    message: EmailRequest,
    meta: { id: string; idempotencyKey: string | null; requestHash: string },
  ): Promise<StoredMessage> {
    const date = new Date();
    const stem = `${date.toISOString().replace(/[-:]/g, '').replace('.', '-')}-${meta.id}`;
    const stored: StoredMessage = {
      id: meta.id,
      created_at: date.toISOString(),
      ...message,
      idempotency_key: meta.idempotencyKey,
      request_hash: meta.requestHash,
      eml_path: join(this.dir, `${stem}.eml`),
      json_path: join(this.dir, `${stem}.json`),
    };
    await writeFile(stored.eml_path, toEml(message, { id: meta.id, date, domain: 'mail.localhost' }));
    await writeFile(stored.json_path, JSON.stringify(stored, null, 2));
    return stored;
  }

  /** Every message in the outbox, oldest first; files that are not the stand-in's are skipped. */
  async list(): Promise<StoredMessage[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const messages: StoredMessage[] = [];
    for (const name of names) {
      try {
        const parsed = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as StoredMessage;
        if (typeof parsed.id === 'string' && Array.isArray(parsed.to)) messages.push(parsed);
      } catch {
        // Not one of ours, or half written by a stand-in that was killed: not a message.
      }
    }
    return messages;
  }
}

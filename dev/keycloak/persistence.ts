/**
 * Keeps the runtime state in `<dataDir>/state.json` so realms, users, keys and sessions created while running
 * survive a restart (Keycloak 26 persists user sessions too). Writes are coalesced and atomic (temp + rename),
 * so a crash mid-write leaves the previous state intact.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PersistedState } from './model.ts';

export class StateFile {
  private readonly file: string;
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly dir: string,
    private readonly snapshot: () => PersistedState,
  ) {
    this.file = join(dir, 'state.json');
  }

  async load(): Promise<PersistedState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const state = JSON.parse(text) as Partial<PersistedState>;
    if (state.version !== 1 || !Array.isArray(state.realms)) throw new Error(`${this.file}: unrecognised state file`);
    return state as PersistedState;
  }

  /** Requests a write; callers never wait, and bursts of changes collapse into one or two writes. */
  schedule(): void {
    if (this.writing) {
      this.dirty = true;
      return;
    }
    this.writing = this.drain()
      .catch((err: unknown) => console.error('[keycloak] could not persist state:', err))
      .finally(() => {
        this.writing = undefined;
        // A change may have arrived between the last write and this callback.
        if (this.dirty) this.schedule();
      });
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    do {
      this.dirty = false;
      const text = JSON.stringify(this.snapshot(), null, 2);
      await mkdir(this.dir, { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, text, { mode: 0o600 }); // holds private keys and password hashes
      await rename(temp, this.file);
    } while (this.dirty);
  }
}

/** The realms of a running stand-in, plus the hook that persists them whenever they change. */
import { adminErrorMessage } from './errors.ts';
import type { PersistedState, StoredRealm } from './model.ts';
import { pruneExpired } from './sessions.ts';

export class RealmStore {
  private readonly realms = new Map<string, StoredRealm>();
  /** names being created right now: key generation is async, and a second create must still see a conflict */
  private readonly reserved = new Set<string>();

  constructor(private readonly onChange: () => void = () => {}) {}

  get(name: string): StoredRealm | undefined {
    return this.realms.get(name);
  }

  list(): StoredRealm[] {
    return [...this.realms.values()];
  }

  has(name: string): boolean {
    return this.realms.has(name) || this.reserved.has(name);
  }

  /** Adds a realm loaded from disk or a realm file, without signalling a change. */
  load(realm: StoredRealm): void {
    this.realms.set(realm.realm, realm);
  }

  async create(name: string, build: () => Promise<StoredRealm>): Promise<StoredRealm> {
    if (this.has(name)) throw adminErrorMessage(409, 'Conflict detected. See logs for details');
    this.reserved.add(name);
    try {
      const realm = await build();
      this.realms.set(name, realm);
      this.changed();
      return realm;
    } finally {
      this.reserved.delete(name);
    }
  }

  delete(name: string): void {
    this.realms.delete(name);
    this.changed();
  }

  changed(): void {
    this.onChange();
  }

  snapshot(): PersistedState {
    const now = Math.floor(Date.now() / 1000);
    for (const realm of this.realms.values()) pruneExpired(realm, now);
    return { version: 1, realms: this.list() };
  }
}

/** Loads realms at start-up: persisted state first, then any realm export whose realm is not already known. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateFile } from './persistence.ts';
import { importRealm } from './realm-import.ts';
import type { RealmStore } from './realm-store.ts';
import { realmSchema, type RealmRepresentation } from './representations.ts';

async function readRealmFile(path: string): Promise<RealmRepresentation> {
  const result = realmSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!result.success) throw new Error(`${path}: not a realm representation: ${result.error.message}`);
  return result.data;
}

export async function loadRealms(store: RealmStore, realmsDir: string, stateFile?: StateFile): Promise<void> {
  const persisted = await stateFile?.load();
  for (const realm of persisted?.realms ?? []) store.load(realm);

  const files = (await readdir(realmsDir)).filter((f) => f.endsWith('.json')).sort();
  const reps = await Promise.all(files.map((f) => readRealmFile(join(realmsDir, f))));
  const names = reps.map((r) => r.realm);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new Error(`${realmsDir}: realm "${duplicate}" is defined twice`);

  // Like Keycloak's --import-realm, an existing realm wins over its export file.
  const fresh = reps.filter((rep) => !store.has(rep.realm));
  const imported = await Promise.all(
    fresh.map(async (rep) => {
      try {
        return await importRealm(rep);
      } catch (err) {
        throw new Error(
          `realm "${rep.realm}" could not be imported: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }),
  );
  for (const realm of imported) store.load(realm);
  if (imported.length > 0) stateFile?.schedule();
}

/**
 * Counts JWKS requests per realm name, existing or not: how often verifiers refetch keys is what the
 * benchmarks look at, and a verifier that asks for a realm that does not exist is a bug the tests look for.
 */
export class JwksStats {
  private readonly counts = new Map<string, number>();

  record(realm: string): void {
    this.counts.set(realm, (this.counts.get(realm) ?? 0) + 1);
  }

  count(realm?: string): number {
    if (realm !== undefined) return this.counts.get(realm) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  toJSON(): { jwks_fetches: Record<string, number> } {
    return { jwks_fetches: Object.fromEntries(this.counts) };
  }
}

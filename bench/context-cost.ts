/**
 * What the signed tenant context costs the database: the same one-query transaction run as the
 * runtime role, once opened with a signed `set_tenant_context` (signature check, nonce insert,
 * verified reads in the policy) and once with only the role switch and no context (what a
 * transaction costs without any verification; it sees no rows). Run by bench/foundation.ts on
 * PostgreSQL, straight over a pg connection so HTTP and the Worker do not blur the difference.
 */
import pg from 'pg';
import { signContext } from '../src/db/signed-context.ts';
import { DEV_SECRETS } from '../dev/dev-secrets.ts';

const QUERY = 'select count(*) from organizations';

export interface ContextCost {
  transactions: number;
  signedUs: number;
  unsignedUs: number;
}

export async function measureContextCost(adminUrl: string, transactions = 2000): Promise<ContextCost> {
  const url = new URL(adminUrl);
  url.username = 'qa_app';
  url.password = '';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const claims = { tenantId: 'acme', actorId: 'bench', role: 'manager', requestId: 'bench' };
  const time = async (open: () => Promise<void>) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < transactions; i++) {
      await client.query('begin');
      await open();
      await client.query(QUERY);
      await client.query('commit');
    }
    return Number(process.hrtime.bigint() - started) / 1000 / transactions;
  };
  try {
    // Signing happens in the Worker either way; sign beforehand so only the database is timed.
    const signed = await Promise.all(
      Array.from({ length: transactions * 2 }, () => signContext(DEV_SECRETS.DATABASE_CONTEXT_KEY, claims)),
    );
    let next = 0;
    const withSignature = () =>
      client
        .query('select set_tenant_context($1, $2, $3, $4, $5, $6::uuid, $7, $8)', signed[next++]!)
        .then(() => undefined);
    const withoutContext = () => client.query("select set_config('role', 'qa_app', true)").then(() => undefined);
    await time(withSignature); // warm-up
    await time(withoutContext);
    return { transactions, signedUs: await time(withSignature), unsignedUs: await time(withoutContext) };
  } finally {
    await client.end();
  }
}

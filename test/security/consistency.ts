import { dumpDatabase } from '../helpers/dump.ts';

type Row = Record<string, unknown>;

/**
 * What must hold in a provider's store whatever happened to it (races, a crash): every token
 * belongs to a grant that exists, and a grant has at most one live
 * refresh token. Returns the problems found, and row counts for the figures.
 */
export async function checkStoreConsistency(databaseUrl: string): Promise<{ problems: string[]; counts: Record<string, number> }> {
  const dump = JSON.parse(await dumpDatabase(databaseUrl)) as Record<string, Row[]>;
  const grants = new Map((dump.grants ?? []).map((g) => [String(g.id), g]));
  const problems: string[] = [];
  for (const table of ['refresh_tokens', 'access_tokens'] as const) {
    for (const row of dump[table] ?? []) {
      if (!grants.has(String(row.grant_id))) problems.push(`${table} row for a missing grant ${row.grant_id}`);
    }
  }
  const live = new Map<string, number>();
  for (const token of dump.refresh_tokens ?? []) {
    if (token.rotated_at === null) live.set(String(token.grant_id), (live.get(String(token.grant_id)) ?? 0) + 1);
  }
  for (const [grantId, count] of live) if (count > 1) problems.push(`grant ${grantId} has ${count} live refresh tokens`);
  const counts: Record<string, number> = Object.fromEntries(['grants', 'authorization_codes', 'refresh_tokens', 'access_tokens'].map((t) => [t, (dump[t] ?? []).length]));
  // Neither is a dangling reference: a code is burnt before its checks run (a failed check, or a
  // kill before the grant is written, leaves it redeemed with no grant and the client with no
  // answer), and a kill between the grant row and its refresh token leaves a grant nobody holds.
  counts.redeemedCodesWithoutGrant = (dump.authorization_codes ?? []).filter((c) => c.consumed_at !== null && !grants.has(String(c.grant_id))).length;
  const withRefresh = new Set((dump.refresh_tokens ?? []).map((r) => String(r.grant_id)));
  counts.userGrantsWithoutRefreshToken = [...grants.values()].filter((g) => g.user_id !== null && !withRefresh.has(String(g.id))).length;
  return { problems, counts };
}

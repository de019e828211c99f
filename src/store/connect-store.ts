import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** What the website side (Connect) keeps. Filled in with the Connect work. */
export function createConnectStore(_db: Kysely<Database>) {
  return {};
}

export type ConnectStore = ReturnType<typeof createConnectStore>;

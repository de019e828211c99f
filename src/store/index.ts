import type { Kysely } from 'kysely';
import { ClientCache } from './client-cache.ts';
import { createAuditStore } from './audit-store.ts';
import { createConnectStore } from './connect-store.ts';
import { createOpsStore } from './ops-store.ts';
import { createHousekeepingStore } from './housekeeping-store.ts';
import { openDatabase, type Dialect, type OpenOptions } from './open.ts';
import { createProviderStore } from './provider-store.ts';
import type { Database } from './schema.ts';

export { ConflictError, isUniqueViolation } from './provider-store.ts';
export type { PublicUser } from './provider-store.ts';
export type { CodeRedemption, RefreshRotation, NewUser, ClientPatch } from './provider-store.ts';
export type * from './types.ts';
export { redactUrl, DatabaseUrlError, type OpenOptions } from './open.ts';
export type { AuditEventInput, AuditEventRow, AuditFilter } from './audit-store.ts';
export type { Readiness } from './ops-store.ts';
export type { PurgePolicy, PurgeCounts } from './housekeeping-store.ts';

function bind(db: Kysely<Database>, clients?: ClientCache) {
  return { ...createProviderStore(db, clients), ...createConnectStore(db), ...createAuditStore(db), ...createOpsStore(db), ...createHousekeepingStore(db) };
}

export type StoreOperations = ReturnType<typeof bind>;

/**
 * The one storage interface of Grantry. Everything that reads or writes data goes through it; no
 * SQL is written anywhere else.
 */
export interface Store extends StoreOperations {
  dialect: Dialect;
  /** Runs `work` in one database transaction: all of its writes land, or none does. */
  transaction<T>(work: (store: StoreOperations) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openStore(databaseUrl: string, options: OpenOptions = {}): Promise<Store> {
  const opened = await openDatabase(databaseUrl, options);
  // One cache per opened store, shared by its transactions, so that an update inside one drops the entry too.
  const clients = new ClientCache();
  return {
    ...bind(opened.db, clients),
    dialect: opened.dialect,
    transaction: (work) => opened.db.transaction().execute((trx) => work(bind(trx, clients))),
    close: opened.close,
  };
}

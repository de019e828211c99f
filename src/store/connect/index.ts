import type { ConnectStore } from '../../connect/storage.ts';
import { openDatabase, type OpenOptions } from '../open.ts';
import { connectMigrations } from './migrations.ts';
import { createConnectOperations } from './operations.ts';
import type { ConnectDatabase } from './schema.ts';

/**
 * Opens Connect's store — `sqlite:PATH`, `sqlite::memory:` or `postgres://…` — creating Connect's
 * tables and only those. It may share a database with a Grantry provider (the demo does) or have
 * one of its own.
 */
export async function openConnectStore(databaseUrl: string, options: OpenOptions = {}): Promise<ConnectStore> {
  const opened = await openDatabase<ConnectDatabase>(databaseUrl, connectMigrations, options);
  return {
    ...createConnectOperations(opened.db),
    transaction: (work) => opened.db.transaction().execute((trx) => work(createConnectOperations(trx))),
    close: opened.close,
  };
}

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { openConnectStore } from '../../src/store/connect/index.ts';
import { openStore, type OpenOptions, type Store } from '../../src/store/index.ts';

export interface TestStoreKind {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty, migrated provider store; `url` reaches the same data from another process. */
  open(options?: OpenOptions): Promise<{ store: Store; url: string; schema?: string; dispose(): Promise<void> }>;
  /** A fresh, empty, migrated Connect store (a website's), with only Connect's tables. */
  openConnect(options?: OpenOptions): Promise<{ store: ConnectStore; url: string; schema?: string; dispose(): Promise<void> }>;
}

const postgresUrl = process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type Opener<S> = (url: string, options?: OpenOptions) => Promise<S & { close(): Promise<void> }>;

async function openSqlite<S>(opener: Opener<S>, options: OpenOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'grantry-test-'));
  const url = `sqlite:${join(dir, 'grantry.sqlite')}`;
  const store = await opener(url, options);
  return {
    store,
    url,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres<S>(opener: Opener<S>, options: OpenOptions = {}) {
  const schema = `grantry_test_${randomBytes(6).toString('hex')}`;
  const store = await opener(postgresUrl, { ...options, schema });
  const url = `${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    store,
    url,
    schema,
    async dispose() {
      await store.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

export const sqliteKind: TestStoreKind = {
  name: 'sqlite',
  open: (options) => openSqlite(openStore, options),
  openConnect: (options) => openSqlite(openConnectStore, options),
};

export const postgresKind: TestStoreKind = {
  name: 'postgres',
  open: (options) => openPostgres(openStore, options),
  openConnect: (options) => openPostgres(openConnectStore, options),
};

/** Every store the tests run on: each store test is written once and runs on both. */
export const storeKinds: TestStoreKind[] = [sqliteKind, postgresKind];

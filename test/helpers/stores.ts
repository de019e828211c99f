import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.ts';

export interface TestStoreKind {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty, migrated store; `url` reaches the same data from another process. */
  open(options?: { onQuery?: (sql: string, durationSeconds: number) => void }): Promise<{ store: Store; url: string; schema?: string; dispose(): Promise<void> }>;
}

const postgresUrl = process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const sqliteKind: TestStoreKind = {
  name: 'sqlite',
  async open(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'grantry-test-'));
    const url = `sqlite:${join(dir, 'grantry.sqlite')}`;
    const store = await openStore(url, options);
    return {
      store,
      url,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresKind: TestStoreKind = {
  name: 'postgres',
  async open(options = {}) {
    const schema = `grantry_test_${randomBytes(6).toString('hex')}`;
    const store = await openStore(postgresUrl, { ...options, schema });
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
  },
};

/** Every store the tests run on: each store test is written once and runs on both. */
export const storeKinds: TestStoreKind[] = [sqliteKind, postgresKind];

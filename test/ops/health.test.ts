import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';

for (const kind of storeKinds) {
  describe(`health checks on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    test('GET /healthz answers 200 without touching the store', async () => {
      const before = provider.queries.length;
      const response = await fetch(`${provider.url}/healthz`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await response.json(), { status: 'ok' });
      assert.equal(provider.queries.length, before);
    });

    test('GET /readyz answers 200 with one query when the store answers and is migrated', async () => {
      const before = provider.queries.length;
      const response = await fetch(`${provider.url}/readyz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ready' });
      assert.equal(provider.queries.length - before, 1);
    });

    test('GET /readyz answers 503 with the reason when the newest migration has not run', async () => {
      await provider.ctx.audit.flush();
      // Pretend the store is one migration behind this code.
      if (kind.name === 'postgres') {
        const client = new pg.Client({ connectionString: provider.databaseUrl });
        await client.connect();
        await client.query("update grantry_migrations set name = '000-' || name where name >= '004'");
        await client.end();
      } else {
        const { default: SQLite } = await import('better-sqlite3');
        const db = new SQLite(provider.databaseUrl.slice('sqlite:'.length));
        db.prepare("update grantry_migrations set name = '000-' || name where name >= '004'").run();
        db.close();
      }
      const latest = (await provider.store.readiness()) as { ready: false; reason: string };
      assert.equal(latest.ready, false);
      const response = await fetch(`${provider.url}/readyz`);
      assert.equal(response.status, 503);
      const body = await response.json();
      assert.equal(body.status, 'unavailable');
      assert.match(body.reason, /^migrations not current: the store is at 003-ticket-return-to, this code needs 0(0[4-9]|[1-9]\d)-[a-z-]+$/);
    });
  });
}

describe('readiness when the store is gone', () => {
  test('GET /readyz answers 503 naming the store, GET /healthz still 200', async () => {
    const provider = await startProvider(storeKinds[1]!);
    try {
      await provider.ctx.audit.flush();
      await provider.store.close();
      const response = await fetch(`${provider.url}/readyz`);
      assert.equal(response.status, 503);
      const body = await response.json();
      assert.equal(body.status, 'unavailable');
      assert.match(body.reason, /^the store is unreachable: /);
      assert.equal((await fetch(`${provider.url}/healthz`)).status, 200);
    } finally {
      await provider.app.close();
    }
  });

});

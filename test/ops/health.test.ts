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
      assert.equal(response.status, 200, '/healthz answers 200');
      assert.equal(response.headers.get('cache-control'), 'no-store', 'the /healthz answer is never cached');
      assert.deepEqual(await response.json(), { status: 'ok' }, '/healthz says ok');
      assert.equal(provider.queries.length, before, '/healthz runs no query');
    });

    test('GET /readyz answers 200 with one query when the store answers and is migrated', async () => {
      const before = provider.queries.length;
      const response = await fetch(`${provider.url}/readyz`);
      assert.equal(response.status, 200, '/readyz answers 200 when the store answers and is migrated');
      assert.deepEqual(await response.json(), { status: 'ready' }, '/readyz says ready');
      assert.equal(provider.queries.length - before, 1, '/readyz runs one query');
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
      assert.equal(latest.ready, false, 'the store reports that it is not ready when a migration has not run');
      const response = await fetch(`${provider.url}/readyz`);
      assert.equal(response.status, 503, '/readyz answers 503 when the newest migration has not run');
      const body = await response.json();
      assert.equal(body.status, 'unavailable', '/readyz says unavailable');
      assert.match(body.reason, /^migrations not current: the store is at 003-ticket-return-to, this code needs 0(0[4-9]|[1-9]\d)-[a-z-]+$/, `/readyz names the migration the store is at and the one the code needs: ${body.reason}`);
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
      assert.equal(response.status, 503, '/readyz answers 503 when the store is closed');
      const body = await response.json();
      assert.equal(body.status, 'unavailable', '/readyz says unavailable');
      assert.match(body.reason, /^the store is unreachable: /, `/readyz says the store is unreachable: ${body.reason}`);
      assert.equal((await fetch(`${provider.url}/healthz`)).status, 200, '/healthz still answers 200 without the store');
    } finally {
      await provider.app.close();
    }
  });

});

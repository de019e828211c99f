import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { networkOf } from '../../src/lib/address.ts';
import { createAuditRecorder } from '../../src/provider/audit.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, postForm } from '../provider/token-fixtures.ts';

const isAuditInsert = (sql: string) => /^insert into "audit_events"/i.test(sql);

for (const kind of storeKinds) {
  describe(`audit trail on ${kind.name}`, () => {
    let provider: RunningProvider;
    // A long interval: only a full batch or an explicit flush writes, so that the tests see each write.
    before(async () => (provider = await startProvider(kind, { audit: { flushIntervalMs: 60_000, batchSize: 3 } })));
    after(() => provider.close());

    test('the store writes a batch in one INSERT, lists newest first with filters and pages, counts since a time', async () => {
      const store = provider.store;
      const at = Math.floor(Date.now() / 1000);
      const before = provider.queries.length;
      await store.audit.insert([
        { at: at - 100, event: 'app_created', clientId: 'store-a', userId: 'u1', ip: '10.0.0.1', detail: { app_type: 'web' } },
        { at: at - 50, event: 'token_issued', clientId: 'store-a', detail: { grant_type: 'client_credentials' } },
        { at, event: 'token_issued', clientId: 'store-a', userId: 'u2', count: 4 },
        { at, event: 'token_issued', clientId: 'store-b', userId: 'u2' },
      ]);
      assert.equal(provider.queries.slice(before).filter(isAuditInsert).length, 1, 'the four events are written in one INSERT');
      assert.equal(provider.queries.length - before, 1, 'writing a batch runs no statement besides the INSERT');

      const all = await store.audit.list({ clientId: 'store-a', limit: 10 });
      assert.deepEqual(all.map((e) => [e.event, e.userId]), [['token_issued', 'u2'], ['token_issued', null], ['app_created', 'u1']], "the app's events are listed newest first");
      assert.deepEqual(
        all[2],
        { id: all[2]!.id, at: at - 100, event: 'app_created', userId: 'u1', clientId: 'store-a', ip: '10.0.0.1', detail: { app_type: 'web' }, count: 1 },
        'an event reads back as it was written, with a count of 1 by default',
      );
      assert.equal(all[1]!.detail!.grant_type, 'client_credentials', 'the detail reads back as it was written');
      assert.ok(all[0]!.id > all[1]!.id && all[1]!.id > all[2]!.id, 'events are listed newest first by id');

      assert.deepEqual((await store.audit.list({ userId: 'u2', limit: 10 })).map((e) => e.clientId), ['store-b', 'store-a'], "a user's events are listed newest first, across apps");
      assert.deepEqual((await store.audit.list({ clientId: 'store-a', event: 'app_created', limit: 10 })).length, 1, 'filtering by app and event finds the one app_created');
      const firstPage = await store.audit.list({ clientId: 'store-a', limit: 2 });
      const nextPage = await store.audit.list({ clientId: 'store-a', limit: 2, beforeId: firstPage[1]!.id });
      assert.deepEqual(nextPage.map((e) => e.event), ['app_created'], 'the next page starts after the last event of the first');

      assert.equal(await store.audit.count({ clientId: 'store-a', event: 'token_issued', since: at - 60 }), 5, 'a row with a count of 4 counts as 4');
      assert.equal(await store.audit.count({ clientId: 'store-a', event: 'token_issued', since: at + 1 }), 0, 'no event of the app was issued after now');
    });

    test('record runs no statement; a full batch is written in one INSERT; flush writes the rest', async () => {
      await provider.ctx.audit.flush();
      const before = provider.queries.length;
      provider.ctx.audit.record({ event: 'app_updated', clientId: 'batch', detail: { n: 1 } });
      provider.ctx.audit.record({ event: 'app_updated', clientId: 'batch', detail: { n: 2 } });
      assert.equal(provider.queries.length, before, 'record runs no statement while the batch is not full');
      provider.ctx.audit.record({ event: 'app_updated', clientId: 'batch', detail: { n: 3 } });
      provider.ctx.audit.record({ event: 'app_updated', clientId: 'batch', detail: { n: 4 } });
      await provider.ctx.audit.flush();
      const inserts = provider.queries.slice(before).filter(isAuditInsert);
      assert.equal(inserts.length, 2, 'one INSERT for the full batch of 3, one for the flushed remainder');
      const rows = await provider.store.audit.list({ clientId: 'batch', limit: 10 });
      assert.deepEqual(rows.map((e) => e.detail!.n), [4, 3, 2, 1], 'every recorded event is written, newest first');
    });

    test('the token endpoint records token_issued with the grant type, the app and the address', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, clientSecret!));
      assert.equal(reply.status, 200, `the token endpoint answers 200: ${JSON.stringify(reply.body)}`);
      await provider.ctx.audit.flush();
      const events = await provider.store.audit.list({ clientId: client.id, limit: 10 });
      assert.deepEqual(events.map((e) => ({ event: e.event, userId: e.userId, ip: e.ip, detail: e.detail })), [
        { event: 'token_issued', userId: null, ip: '127.0.0.1', detail: { grant_type: 'client_credentials' } },
      ], 'the token endpoint records token_issued with the grant type and the address, without a user');
    });

    test('tokens issued alike while a batch waits are one row with a count; the usage figure and the console count each token', async () => {
      const owner = await provider.createUser();
      const { client, clientSecret } = await provider.registerClient({ appType: 'service', ownerId: owner.id });
      await provider.ctx.audit.flush();
      const before = provider.queries.length;
      const replies = await Promise.all(
        Array.from({ length: 30 }, () => postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, clientSecret!))),
      );
      assert.deepEqual(replies.map((reply) => reply.status), Array(30).fill(200), 'all 30 token requests are answered 200');
      // Another app's token and a revocation are rows of their own: with them the batch (of 3 here) is full.
      provider.ctx.audit.record({ event: 'token_issued', clientId: 'someone-else', ip: '127.0.0.1', detail: { grant_type: 'client_credentials' } });
      provider.ctx.audit.record({ event: 'token_revoked', clientId: client.id, ip: '127.0.0.1' });
      await provider.ctx.audit.flush();
      assert.equal(provider.queries.slice(before).filter(isAuditInsert).length, 1, '30 tokens and two other events: one batch of three rows');
      const events = await provider.store.audit.list({ clientId: client.id, limit: 10 });
      assert.deepEqual(events.map((e) => [e.event, e.count, e.ip, e.detail]), [
        ['token_revoked', 1, '127.0.0.1', null],
        ['token_issued', 30, '127.0.0.1', { grant_type: 'client_credentials' }],
      ], 'the 30 tokens are one token_issued row with a count of 30; the revocation is a row of its own');
      assert.equal(await provider.store.audit.count({ clientId: client.id, event: 'token_issued', since: 0 }), 30, 'the usage figure counts each of the 30 tokens');

      // A token issued after the batch was written starts a new row.
      assert.equal(
        (await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, clientSecret!))).status,
        200,
        'a token issued after the batch was written is answered 200',
      );
      await provider.ctx.audit.flush();
      const issued = await provider.store.audit.list({ clientId: client.id, event: 'token_issued', limit: 10 });
      assert.deepEqual(issued.map((e) => e.count), [1, 30], 'a token issued after the batch was written starts a new row');

      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, owner);
      const page = await browser.get(`/console/apps/${client.id}/audit`);
      assert.deepEqual([...page.text.matchAll(/data-testid="audit-count">× (\d+)</g)].map((m) => m[1]), ['30'], 'the console shows the count of the batched row');
      assert.match((await browser.get(`/console/apps/${client.id}`)).text, /data-testid="usage-tokens"[^>]*>31</, 'the usage figure on the app page counts each of the 31 tokens');
    });

    test('the password grant records failed and successful logins; a refused token request records no issue', async () => {
      const user = await provider.createUser();
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['password', 'refresh_token'] });
      const auth = basicAuth(client.id, clientSecret!);
      const wrong = await postForm(provider, '/oauth2/token', { grant_type: 'password', username: user.username, password: 'wrong password!' }, auth);
      assert.equal(wrong.body.error, 'invalid_grant', 'a wrong password is invalid_grant');
      const unknown = await postForm(provider, '/oauth2/token', { grant_type: 'password', username: 'nobody-here', password: 'wrong password!' }, auth);
      assert.equal(unknown.body.error, 'invalid_grant', 'an unknown username is invalid_grant');
      const right = await postForm(provider, '/oauth2/token', { grant_type: 'password', username: user.username, password: user.password }, auth);
      assert.equal(right.status, 200, `the right password is answered 200: ${JSON.stringify(right.body)}`);
      await provider.ctx.audit.flush();

      const mine = await provider.store.audit.list({ userId: user.id, limit: 10 });
      assert.deepEqual(mine.map((e) => [e.event, e.detail]), [
        ['token_issued', { grant_type: 'password' }],
        ['login_succeeded', { via: 'password_grant' }],
        ['login_failed', { via: 'password_grant', reason: 'invalid_credentials' }],
      ], "the user's failed login, successful login and issued token are recorded, newest first");
      const failures = await provider.store.audit.list({ event: 'login_failed', limit: 10 });
      assert.ok(failures.some((e) => e.userId === null && e.detail?.via === 'password_grant'), 'an unknown name is recorded without a user');
      // Neither the password nor the username typed is kept.
      for (const e of failures) assert.ok(!JSON.stringify(e).includes('wrong password!'), 'neither the password nor the username typed is kept in a login_failed event');
    });

    test('the app owner reads the app\'s events on /console/apps/:id/audit; anyone else gets 404 or the login page', async () => {
      const owner = await provider.createUser();
      const other = await provider.createUser();
      const { client } = await provider.registerClient({ appType: 'web', ownerId: owner.id, name: 'Audited <app>' });
      provider.ctx.audit.record({ event: 'app_created', clientId: client.id, userId: owner.id, ip: '192.0.2.7', detail: { app_type: 'web' } });
      provider.ctx.audit.record({ event: 'token_issued', clientId: client.id, userId: other.id, detail: { grant_type: 'authorization_code' } });
      await provider.ctx.audit.flush();

      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, owner);
      const page = await browser.get(`/console/apps/${client.id}/audit`);
      assert.equal(page.status, 200, 'the owner reads the audit page');
      assert.equal(page.headers.get('cache-control'), 'no-store', 'the audit page is never cached');
      assert.deepEqual([...page.text.matchAll(/data-event="([a-z_]+)"/g)].map((m) => m[1]), ['token_issued', 'app_created'], "the app's events are listed newest first");
      assert.match(page.text, /192\.0\.2\.0\/24/, 'the network the event came from is shown to the owner');
      assert.doesNotMatch(page.text, /192\.0\.2\.7/, "never the address of a person who used the app: that is the operator's to read");
      assert.match(page.text, /Audited &lt;app&gt;/, "the app's name is escaped");
      assert.doesNotMatch(page.text, /Audited <app>/, "the app's name is never shown unescaped");

      const stranger = new TestBrowser(provider.url);
      await signIn(provider, stranger, other);
      assert.equal((await stranger.get(`/console/apps/${client.id}/audit`)).status, 404, "someone else gets 404 for the app's audit page");
      assert.equal((await stranger.get('/console/apps/no-such-app/audit')).status, 404, 'an unknown app gets 404');

      const anonymous = await new TestBrowser(provider.url).get(`/console/apps/${client.id}/audit`);
      assert.equal(anonymous.status, 303, 'an anonymous visitor is sent to the login page');
      assert.equal(anonymous.location, `/login?return_to=${encodeURIComponent(`/console/apps/${client.id}/audit`)}`, 'the login page returns to the audit page');
    });

    test('the console page pages back through older events', async () => {
      const owner = await provider.createUser();
      const { client } = await provider.registerClient({ appType: 'web', ownerId: owner.id });
      const at = Math.floor(Date.now() / 1000);
      await provider.store.audit.insert(Array.from({ length: 52 }, (_, i) => ({ at, event: 'token_issued', clientId: client.id, detail: { n: i } })));
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, owner);
      const first = await browser.get(`/console/apps/${client.id}/audit`);
      assert.equal([...first.text.matchAll(/data-testid="audit-event"/g)].length, 50, 'the first page shows 50 events');
      const older = /href="([^"]*\?before=\d+)"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
      const second = await browser.get(older);
      assert.equal([...second.text.matchAll(/data-testid="audit-event"/g)].length, 2, 'the older page shows the last 2 events');
      assert.match(second.text, /{&quot;n&quot;:0}/, 'the older page reaches the first event recorded');
      assert.doesNotMatch(second.text, /\?before=/, 'the last page links to no older page');
    });

    test('grantry audit prints events, filtered by app, user and event, as lines or JSON', async () => {
      const at = Math.floor(Date.now() / 1000);
      await provider.store.audit.insert([
        { at, event: 'app_created', clientId: 'cli-app', userId: 'cli-user', ip: '198.51.100.1' },
        { at, event: 'token_issued', clientId: 'cli-app', detail: { grant_type: 'client_credentials' } },
        { at, event: 'token_issued', clientId: 'cli-other', userId: 'cli-user' },
      ]);
      const db = ['--database-url', provider.databaseUrl];
      const json = await runCli(['audit', ...db, '--client', 'cli-app', '--json']);
      assert.equal(json.code, 0, json.stderr);
      const events = json.json().events;
      assert.deepEqual(events.map((e: any) => e.event), ['token_issued', 'app_created'], "--client lists that app's events, newest first");
      assert.equal(events[1].at, new Date(at * 1000).toISOString(), '--json gives the time as an ISO date');
      assert.equal(events[1].ip, '198.51.100.1', '--json gives the address');

      const byUser = await runCli(['audit', ...db, '--user', 'cli-user', '--event', 'token_issued', '--limit', '5']);
      assert.equal(byUser.code, 0, byUser.stderr);
      assert.deepEqual(byUser.stdout.trim().split('\n').map((line) => line.split('  ').slice(1, 3)), [['token_issued', 'client=cli-other']], "--user and --event list that user's token_issued events");

      const none = await runCli(['audit', ...db, '--client', 'no-such-app']);
      assert.equal(none.stdout.trim(), 'No audit events match.', 'an app without events prints that no audit events match');

      const badEvent = await runCli(['audit', ...db, '--event', 'nonsense']);
      assert.equal(badEvent.code, 2, `an unknown --event is a usage error (exit 2): ${badEvent.stderr}`);
      assert.match(badEvent.stderr, /--event takes one of user_signed_up, login_succeeded, .*"nonsense" is none of them/, 'the error names the events --event takes');
      const badLimit = await runCli(['audit', ...db, '--limit', '0']);
      assert.equal(badLimit.code, 2, `--limit 0 is a usage error (exit 2): ${badLimit.stderr}`);
      assert.match(badLimit.stderr, /--limit takes a whole number from 1 to 10000, not "0"/, 'the error says what --limit takes');
    });
  });
}

describe('networkOf: what an app owner sees of an address', () => {
  test('IPv4 to its /24, IPv6 to its /48, an IPv4-mapped address as IPv4', () => {
    const cases: [string, string][] = [
      ['192.0.2.7', '192.0.2.0/24'],
      ['10.1.2.255', '10.1.2.0/24'],
      ['::ffff:203.0.113.9', '203.0.113.0/24'],
      ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::/48'],
      ['2001:db8::1', '2001:db8:0::/48'],
      ['::1', '0:0:0::/48'],
      ['fe80::1%eth0', 'fe80:0:0::/48'],
      ['not an address', ''],
    ];
    for (const [ip, network] of cases) assert.equal(networkOf(ip), network, `${ip} is shown as ${network || 'nothing'}`);
  });
});

describe('the audit recorder', () => {
  test('writes a waiting batch after the flush interval, by itself', async () => {
    const written: unknown[][] = [];
    const recorder = createAuditRecorder({ audit: { insert: async (events) => void written.push(events) } }, { flushIntervalMs: 30, batchSize: 100 });
    recorder.record({ event: 'login_failed', ip: '127.0.0.1' });
    recorder.record({ event: 'login_failed', ip: '127.0.0.2' });
    assert.equal(written.length, 0, 'record writes nothing before the flush interval');
    const deadline = Date.now() + 5000;
    while (written.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(written.length, 1, 'the waiting batch is written once, by itself, after the flush interval');
    assert.deepEqual((written[0] as { ip: string }[]).map((e) => e.ip), ['127.0.0.1', '127.0.0.2'], 'the batch holds both events, in order');
  });

  test('a failed write keeps the events for the next attempt, in order', async () => {
    let fail = true;
    const written: string[] = [];
    const errors: unknown[] = [];
    const recorder = createAuditRecorder(
      {
        audit: {
          insert: async (events) => {
            if (fail) throw new Error('store down');
            written.push(...events.map((e) => e.clientId!));
          },
        },
      },
      { flushIntervalMs: 60_000, batchSize: 100, onError: (error) => errors.push(error) },
    );
    recorder.record({ event: 'app_updated', clientId: 'a' });
    await recorder.flush();
    assert.equal((errors[0] as Error).message, 'store down', 'the failed write is reported to onError');
    recorder.record({ event: 'app_updated', clientId: 'b' });
    fail = false;
    await recorder.close();
    assert.deepEqual(written, ['a', 'b'], 'the events of the failed write are written at the next attempt, in order');
  });

  test('listeners see every event as it is recorded', () => {
    const recorder = createAuditRecorder({ audit: { insert: async () => {} } }, { flushIntervalMs: 60_000, batchSize: 100 });
    const seen: string[] = [];
    recorder.onRecord((event) => seen.push(event.event));
    recorder.record({ event: 'refresh_token_reused' });
    recorder.record({ event: 'token_issued', detail: { grant_type: 'password' } });
    assert.deepEqual(seen, ['refresh_token_reused', 'token_issued'], 'listeners see every event as it is recorded, in order');
  });
});

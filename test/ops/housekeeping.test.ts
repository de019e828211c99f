import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { runHousekeeping } from '../../src/provider/housekeeping.ts';
import { openConnectStore } from '../../src/store/connect/index.ts';
import type { PurgePolicy } from '../../src/store/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds, type TestStoreKind } from '../helpers/stores.ts';

const hour = 3600;
const day = 24 * hour;

/** Raw SQL against the provider's store, for rows the store has no method to backdate. */
async function exec(kind: TestStoreKind, url: string, text: string, params: unknown[]): Promise<void> {
  if (kind.name === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text.replace(/\?/g, (() => { let i = 0; return () => `$${++i}`; })()), params);
    } finally {
      await client.end();
    }
  } else {
    const db = new SQLite(url.slice('sqlite:'.length));
    try {
      db.prepare(text).run(...params);
    } finally {
      db.close();
    }
  }
}

for (const kind of storeKinds) {
  describe(`housekeeping on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { housekeeping: { intervalSeconds: 0 } })));
    after(() => provider.close());

    const policy = (now: number): PurgePolicy => ({
      now,
      batchSize: 2,
      maxBatches: 100,
      expiredGraceSeconds: day,
      accessTokenLifetime: hour,
      bucketDrainSeconds: 2 * hour,
      refreshTokenAbsolute: 90 * day,
      loginWindowSeconds: 15 * 60,
      auditRetentionSeconds: 90 * day,
    });

    test('expired rows go, live rows stay, in every table it purges', async () => {
      const { store } = provider;
      const now = Math.floor(Date.now() / 1000);
      const user = await provider.createUser();
      const { client } = await provider.registerClient({ appType: 'web' });
      const { client: consented } = await provider.registerClient({ appType: 'web' });
      const { client: service } = await provider.registerClient({ appType: 'service' });
      await store.consents.save(user.id, consented.id, { scope: 'profile', redirectUris: consented.redirectUris, resources: [] });
      const grant = async (name: string, input: { clientId: string; userId: string | null; createdAt: number; revoked?: boolean }) => {
        const created = await store.grants.create({ id: `${name}-${randomUUID()}`, clientId: input.clientId, userId: input.userId, scope: 'profile', createdAt: input.createdAt });
        if (input.revoked) await store.grants.revoke(created.id, 'revoked_by_client');
        return created.id;
      };

      const grants = {
        appOld: await grant('app-old', { clientId: service.id, userId: null, createdAt: now - 2 * hour }),
        appRecent: await grant('app-recent', { clientId: service.id, userId: null, createdAt: now - 10 * 60 }),
        revokedOld: await grant('revoked-old', { clientId: client.id, userId: user.id, createdAt: now - 2 * hour, revoked: true }),
        withRefresh: await grant('with-refresh', { clientId: client.id, userId: user.id, createdAt: now - 100 * day }),
        withAccess: await grant('with-access', { clientId: service.id, userId: null, createdAt: now - 2 * hour }),
        personalPastEnd: await grant('personal-past-end', { clientId: client.id, userId: user.id, createdAt: now - 100 * day }),
        consentedNewest: await grant('consented-newest', { clientId: consented.id, userId: user.id, createdAt: now - 100 * day }),
        consentedOlder: await grant('consented-older', { clientId: consented.id, userId: user.id, createdAt: now - 120 * day }),
        personalRecent: await grant('personal-recent', { clientId: client.id, userId: user.id, createdAt: now - day }),
      };

      const code = (hash: string, expiresAt: number) =>
        store.codes.create({ codeHash: hash, grantId: randomUUID(), clientId: client.id, userId: user.id, redirectUri: 'https://app.example/callback', scope: 'profile', codeChallenge: null, expiresAt });
      for (const n of [1, 2, 3]) await code(`code-dead-${n}`, now - 2 * day);
      await code('code-in-grace', now - hour);
      await code('code-live', now + 60);

      await store.sessions.create({ sessionHash: 'session-dead', userId: user.id, createdAt: now - 15 * day, expiresAt: now - 1 });
      await store.sessions.create({ sessionHash: 'session-live', userId: user.id, createdAt: now, expiresAt: now + day });

      const access = (hash: string, grantId: string, expiresAt: number) => store.accessTokens.create({ tokenHash: hash, grantId, clientId: service.id, userId: null, scope: 'profile', expiresAt });
      await access('access-dead', grants.appOld, now - 1);
      await access('access-live', grants.withAccess, now + hour);

      const refresh = (hash: string, grantId: string, expiresAt: number) =>
        store.refreshTokens.create({ tokenHash: hash, grantId, clientId: client.id, userId: user.id, scope: 'profile', createdAt: now - 100 * day, expiresAt, absoluteExpiresAt: expiresAt + day });
      await refresh('refresh-dead', grants.personalPastEnd, now - 2 * day);
      await refresh('refresh-in-grace', grants.withRefresh, now - hour);
      await refresh('refresh-live', grants.withRefresh, now + day);

      const failures = (key: string, firstFailureAt: number, lockedUntil: number | null) =>
        exec(kind, provider.databaseUrl, 'insert into login_failures (key, failures, first_failure_at, locked_until) values (?, ?, ?, ?)', [key, 3, firstFailureAt, lockedUntil]);
      await failures('user:old', now - hour, null);
      await failures('user:old-lock-over', now - hour, now - 60);
      await failures('user:locked', now - hour, now + 600);
      await failures('user:recent', now - 60, null);

      // Buckets drain at limit per window and stop at limit + 1: untouched for twice the window, empty.
      const bucket = (key: string, updatedAt: number) =>
        exec(kind, provider.databaseUrl, 'insert into login_buckets (key, level, updated_at) values (?, ?, ?)', [key, 4, updatedAt]);
      await bucket('addr:drained', now - 3 * hour);
      await bucket('addr:draining', now - 60);

      const revoked = (jti: string, expiresAt: number) =>
        exec(kind, provider.databaseUrl, 'insert into revoked_tokens (jti, client_id, expires_at, revoked_at) values (?, ?, ?, ?)', [jti, service.id, expiresAt, now - hour]);
      await revoked('jti-dead', now - 1);
      await revoked('jti-live', now + 600);

      await store.audit.insert([
        { at: now - 91 * day, event: 'token_issued', clientId: 'audit-old' },
        { at: now - 89 * day, event: 'token_issued', clientId: 'audit-kept' },
      ]);

      for (const [hash, expiresAt] of [['request-dead', now - 1], ['request-live', now + 600]] as const) {
        await store.requests.create({ handleHash: hash, clientId: client.id, sealedParameters: 'sealed', browserHash: 'b', createdAt: now - 700, expiresAt });
      }

      // A website's Connect tables in the same database: Connect purges them, the provider does not.
      const site = await openConnectStore(provider.databaseUrl);
      const siteUser = await site.createConnectUser({ username: `site-${randomUUID().slice(0, 8)}`, passwordHash: null, displayName: 'S', email: null });
      const identityId = randomUUID();
      await exec(kind, provider.databaseUrl, 'insert into connect_identities (id, provider, subject, user_id, profile, tokens, token_expires_at, created_at, updated_at, last_login_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        identityId, 'weibo', `subject-${identityId}`, null, '{}', null, null, now, now, null,
      ]);
      for (const [hash, expiresAt] of [['ticket-dead', now - 1], ['ticket-live', now + 600]] as const) {
        await site.createTicket({ ticketHash: hash, identityId, browserHash: 'b', returnTo: null, createdAt: now - 700, expiresAt });
      }
      for (const [hash, expiresAt] of [['state-dead', now - 1], ['state-live', now + 600]] as const) {
        await site.saveLoginState({ stateHash: hash, browserHash: 'b', provider: 'weibo', codeVerifier: 'v', nonce: null, redirectUri: 'https://site.example/cb', returnTo: null, linkUserId: null, createdAt: now - 700, expiresAt });
      }
      for (const [hash, expiresAt] of [['site-session-dead', now - 1], ['site-session-live', now + day]] as const) {
        await site.createConnectSession({ sessionHash: hash, userId: siteUser.id, createdAt: now - day, expiresAt });
      }

      const counts = await store.housekeeping.purgeExpired(policy(now));
      assert.deepEqual(counts, {
        authorization_requests: 1,
        authorization_codes: 3,
        sessions: 1,
        access_tokens: 1,
        revoked_tokens: 1,
        refresh_tokens: 1,
        grants: 4,
        login_failures: 2,
        login_buckets: 1,
        audit_events: 1,
      }, 'one pass deletes exactly the expired rows of each table');
      assert.equal(await site.purgeExpiredConnect(now), 3, "Connect's own purge deletes its expired ticket, login state and session");

      const gone = async (id: string) => (await store.grants.find(id)) === undefined;
      assert.deepEqual(
        Object.fromEntries(await Promise.all(Object.entries(grants).map(async ([name, id]) => [name, await gone(id)]))),
        {
          appOld: true,
          appRecent: false,
          revokedOld: true,
          withRefresh: false,
          withAccess: false,
          personalPastEnd: true,
          consentedNewest: false,
          consentedOlder: true,
          personalRecent: false,
        },
        'grants are deleted once nothing keeps them: no live token, no consent, within their lifetime',
      );
      assert.equal(await store.sessions.find('session-dead'), undefined, 'an expired session is deleted');
      assert.ok(await store.sessions.find('session-live'), 'a live session is kept');
      assert.equal(await store.accessTokens.find('access-dead'), undefined, 'an expired access token is deleted');
      assert.ok(await store.accessTokens.find('access-live'), 'a live access token is kept');
      assert.equal(await store.accessTokens.isClientJwtRevoked('jti-dead', service.id), false, 'an expired revoked jti is forgotten');
      assert.equal(await store.accessTokens.isClientJwtRevoked('jti-live', service.id), true, 'a revoked jti that has not expired is still revoked');
      assert.equal(await store.refreshTokens.find('refresh-dead'), undefined, 'a refresh token past its grace period is deleted');
      assert.ok(await store.refreshTokens.find('refresh-in-grace'), 'a refresh token within its grace period is kept');
      assert.ok(await store.refreshTokens.find('refresh-live'), 'a live refresh token is kept');
      assert.equal((await store.codes.redeem('code-dead-1', client.id)).outcome, 'unknown', 'an authorization code past its grace period is deleted');
      assert.equal((await store.codes.redeem('code-in-grace', client.id)).outcome, 'redeemed', 'an expired code within its grace period is kept, so that a replay is still seen');
      assert.equal((await store.codes.redeem('code-live', client.id)).outcome, 'redeemed', 'a live authorization code is kept');
      assert.deepEqual(
        (await store.audit.list({ limit: 10, event: 'token_issued' })).map((e) => e.clientId).filter((c) => c!.startsWith('audit-')),
        ['audit-kept'],
        'audit events past the retention are deleted, newer ones kept',
      );
      assert.equal(await store.requests.find('request-dead'), undefined, 'an expired authorization request is deleted');
      assert.ok(await store.requests.find('request-live'), 'a live authorization request is kept');
      assert.equal(await site.findTicket('ticket-dead'), undefined, 'an expired Connect ticket is deleted');
      assert.ok(await site.findTicket('ticket-live'), 'a live Connect ticket is kept');
      assert.equal(await site.takeLoginState('state-dead'), undefined, 'an expired Connect login state is deleted');
      assert.ok(await site.takeLoginState('state-live'), 'a live Connect login state is kept');
      assert.equal(await site.findConnectSessionUser('site-session-dead'), undefined, 'an expired Connect site session is deleted');
      assert.ok(await site.findConnectSessionUser('site-session-live'), 'a live Connect site session is kept');
      await site.close();
      // The person still sees the app they consent to on /account/apps.
      assert.deepEqual(
        (await store.grants.listAuthorizedApps(user.id)).map((a) => a.client.id).sort(),
        [client.id, consented.id].sort(),
        'the person still sees the apps they consent to on /account/apps',
      );

      // A second pass finds nothing more.
      const again = await store.housekeeping.purgeExpired(policy(now));
      assert.ok(Object.values(again).every((n) => n === 0), JSON.stringify(again));
    });

    test('passes running side by side (as on several instances) delete each row once, without errors', async () => {
      const { store } = provider;
      const now = Math.floor(Date.now() / 1000);
      const user = await provider.createUser();
      for (let n = 0; n < 25; n++) await store.sessions.create({ sessionHash: `parallel-${n}`, userId: user.id, createdAt: now - day, expiresAt: now - 1 });
      await store.sessions.create({ sessionHash: 'parallel-live', userId: user.id, createdAt: now, expiresAt: now + day });
      const passes = await Promise.all([store.housekeeping.purgeExpired(policy(now)), store.housekeeping.purgeExpired(policy(now)), store.housekeeping.purgeExpired(policy(now))]);
      assert.equal(passes.reduce((sum, counts) => sum + counts.sessions, 0), 25, `passes side by side delete each of the 25 expired sessions once: ${JSON.stringify(passes)}`);
      assert.ok(await store.sessions.find('parallel-live'), 'the live session survives the parallel passes');
    });

    test('runHousekeeping purges with the configured policy, and stop() waits for a pass in progress', async () => {
      const now = Math.floor(Date.now() / 1000);
      const user = await provider.createUser();
      await provider.store.sessions.create({ sessionHash: 'runner-dead', userId: user.id, createdAt: now - day, expiresAt: now - 1 });
      await provider.store.audit.insert([{ at: now - (provider.config.audit.retentionDays + 1) * day, event: 'app_created', clientId: 'runner-old' }]);
      const housekeeping = runHousekeeping(provider.ctx);
      const pass = housekeeping.runOnce();
      await housekeeping.stop();
      const counts = await pass;
      assert.equal(counts.sessions, 1, `the pass deletes the expired session: ${JSON.stringify(counts)}`);
      assert.equal(counts.audit_events, 1, `the pass deletes the audit event past the configured retention: ${JSON.stringify(counts)}`);
      assert.equal(await provider.store.sessions.find('runner-dead'), undefined, 'the expired session is gone after stop()');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { unbindIdentity } from '../../src/connect/binding/index.ts';
import { storeKinds } from '../helpers/stores.ts';

// The Connect tables' own guarantees, on both stores.

const profile = { name: null, email: null, emailVerified: false, avatar: null };

for (const kind of storeKinds) {
  describe(`connect store on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    before(async () => ({ store, dispose } = await kind.openConnect()));
    after(() => dispose());

    test('one row per provider and subject, however many first logins race', async () => {
      const rows = await Promise.all(Array.from({ length: 10 }, () => store.recordIdentity({ provider: 'p', subject: 'same', profile })));
      assert.equal(new Set(rows.map((r) => r.id)).size, 1, 'racing first logins of one subject record one identity');
    });

    test('tickets and login states are taken once; expired rows are purged', async () => {
      const identity = await store.recordIdentity({ provider: 'p', subject: 'tickets', profile });
      const at = Math.floor(Date.now() / 1000);
      await store.createTicket({ ticketHash: 't1', identityId: identity.id, browserHash: 'b', returnTo: null, createdAt: at, expiresAt: at + 900 });
      const taken = await Promise.all([store.takeTicket('t1'), store.takeTicket('t1'), store.takeTicket('t1')]);
      assert.equal(taken.filter(Boolean).length, 1, 'a ticket is taken once, however many take it at once');
      await store.createTicket({ ticketHash: 'old', identityId: identity.id, browserHash: 'b', returnTo: null, createdAt: at - 1000, expiresAt: at - 100 });
      await store.saveLoginState({ stateHash: 'old-state', browserHash: 'b', provider: 'p', codeVerifier: 'v', nonce: null, redirectUri: 'r', returnTo: null, linkUserId: null, createdAt: at - 700, expiresAt: at - 100 });
      await store.saveLoginState({ stateHash: 'live-state', browserHash: 'b', provider: 'p', codeVerifier: 'v', nonce: null, redirectUri: 'r', returnTo: null, linkUserId: null, createdAt: at, expiresAt: at + 600 });
      assert.equal(await store.purgeExpiredConnect(at), 2, 'the expired ticket and the expired login state are purged');
      assert.equal(await store.findTicket('old'), undefined, 'the purged ticket is gone');
      assert.ok(await store.takeLoginState('live-state'), 'the live login state survives the purge and is taken');
      assert.equal(await store.takeLoginState('live-state'), undefined, 'a login state is taken once');
    });

    test('address buckets are purged once untouched for a day, and not before', async () => {
      const at = Math.floor(Date.now() / 1000);
      const policy = { limit: 5, windowSeconds: 900 };
      assert.equal(await store.chargeLoginBucket('connect:addr:purge-me', policy), 1, 'a first attempt fills the bucket to 1');
      await store.purgeExpiredConnect(at);
      assert.ok((await store.chargeLoginBucket('connect:addr:purge-me', policy)) > 1.9, 'a bucket touched just now survives the purge');
      assert.ok((await store.purgeExpiredConnect(at + 25 * 3600)) >= 1, 'a day later the purge removes it');
      assert.equal(await store.chargeLoginBucket('connect:addr:purge-me', policy), 1, 'the next attempt starts a fresh bucket');
    });

    test('unbinding: refused for the last login method, allowed with a password or another identity', async () => {
      const user = await store.createConnectUser({ username: 'solo', displayName: 'Solo', passwordHash: null, email: null });
      const a = await store.recordIdentity({ provider: 'p', subject: 'solo-a', profile });
      const b = await store.recordIdentity({ provider: 'q', subject: 'solo-b', profile });
      assert.equal((await store.bindIdentity(a.id, user.id)).outcome, 'bound', 'the first bind binds');
      assert.equal((await store.bindIdentity(a.id, user.id)).outcome, 'unchanged', 'binding again changes nothing');
      assert.equal((await store.unbindIdentity(a.id, user.id)).outcome, 'last-login-method', 'the last login method of a user without a password cannot be unbound');
      assert.equal((await store.bindIdentity(b.id, user.id)).outcome, 'bound', 'a second identity is bound');
      assert.equal((await store.unbindIdentity(a.id, user.id)).outcome, 'unbound', 'with another identity left, the first is unbound');
      assert.equal((await store.unbindIdentity(a.id, user.id)).outcome, 'unknown', 'an identity no longer bound is unknown');
      const other = await store.createConnectUser({ username: 'other', displayName: 'O', passwordHash: 'x', email: null });
      assert.equal((await store.bindIdentity(b.id, other.id)).outcome, 'taken', 'never moved');
    });

    test('two concurrent unbinds of a password-less user\'s two logins: exactly one succeeds', async () => {
      for (let round = 0; round < 5; round++) {
        const user = await store.createConnectUser({ username: `pair${round}`, displayName: 'Pair', passwordHash: null, email: null });
        const a = await store.recordIdentity({ provider: 'p', subject: `pair-a-${round}`, profile });
        const b = await store.recordIdentity({ provider: 'q', subject: `pair-b-${round}`, profile });
        await store.bindIdentity(a.id, user.id);
        await store.bindIdentity(b.id, user.id);
        const results = await Promise.all([unbindIdentity(store, user.id, a.id), unbindIdentity(store, user.id, b.id)]);
        assert.equal(results.filter((result) => result.ok).length, 1, JSON.stringify(results));
      }
    });
  });
}

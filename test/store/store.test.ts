import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConflictError, type Store } from '../../src/store/index.ts';
import { storeKinds } from '../helpers/stores.ts';

for (const kind of storeKinds) {
  describe(`store on ${kind.name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    before(async () => ({ store, dispose } = await kind.open()));
    after(() => dispose());

    test('a taken username is a ConflictError, and nothing stored is lost', async () => {
      const user = await store.users.create({ username: 'ada', passwordHash: 'x', displayName: 'Ada', email: null });
      await assert.rejects(store.users.create({ username: 'ada', passwordHash: 'y', displayName: 'Other', email: null }), ConflictError, 'a second user named ada is a ConflictError');
      assert.equal((await store.users.findByUsername('ada'))?.id, user.id, 'the first ada is still stored');
    });

    test('a transaction that throws keeps none of its writes', async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.users.create({ username: 'grace', passwordHash: 'x', displayName: 'Grace', email: null });
          throw new Error('abort');
        }),
        /abort/,
        'the transaction\'s error reaches the caller',
      );
      assert.equal(await store.users.findByUsername('grace'), undefined, 'the user created in the transaction that threw is not kept');
    });

    test('of concurrent redemptions of one code exactly one wins', async () => {
      const user = await store.users.create({ username: 'linus', passwordHash: 'x', displayName: 'Linus', email: null });
      await store.codes.create({
        codeHash: 'h1', grantId: 'g1', clientId: 'c1', userId: user.id, redirectUri: 'https://a.example/cb',
        scope: 'profile', codeChallenge: null, expiresAt: 2_000_000_000,
      });
      const results = await Promise.all(Array.from({ length: 20 }, () => store.codes.redeem('h1', 'c1')));
      assert.equal(results.filter((r) => r.outcome === 'redeemed').length, 1, 'exactly one of the concurrent redemptions wins');
      assert.equal(results.filter((r) => r.outcome === 'replayed').length, 19, 'the 19 other redemptions are replays');
      assert.deepEqual(await store.codes.redeem('nope', 'c1'), { outcome: 'unknown' }, 'an unknown code is unknown');
      await store.codes.create({
        codeHash: 'h2', grantId: 'g2', clientId: 'c1', userId: user.id, redirectUri: 'https://a.example/cb',
        scope: 'profile', codeChallenge: null, expiresAt: 2_000_000_000,
      });
      assert.equal((await store.codes.redeem('h2', 'c2')).outcome, 'another_client', "another client's redemption is told the code is another's");
      assert.equal((await store.codes.redeem('h2', 'c1')).outcome, 'redeemed', 'and leaves it for the client it was issued to');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openConnectStore, registerAndBind } from '../../src/connect/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { issueTicketForTest } from '../connect/binding-support.ts';
import { basicAuth, getMe, makeCode, postForm, redirectUri, webAppWithTokens } from '../provider/token-fixtures.ts';
import { checkStoreConsistency } from './consistency.ts';

// The single-use things, used many times at once over real HTTP: exactly one use wins, on both
// stores, and the store is consistent afterwards. Each race runs several rounds.

const racers = 50;
const rounds = 5;
for (const kind of storeKinds) {
  describe(`races on ${kind.name}`, () => {
    const figures = { races: 0, requests: 0 };
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(async () => {
      const { problems } = await checkStoreConsistency(provider.databaseUrl);
      assert.deepEqual(problems, [], 'the store is consistent after all the races');
      await provider.close();
      console.log(`# races on ${kind.name}: ${figures.races} races, ${figures.requests} simultaneous uses, one winner each, a consistent store`);
    });

    test(`one authorization code redeemed ${racers} times at once: one 200, ${racers - 1} invalid_grant, the winner's tokens revoked`, async (t) => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web' });
      const auth = basicAuth(client.id, clientSecret!);
      const user = await provider.createUser();
      for (let round = 0; round < rounds; round++) {
        const { code, verifier, grantId } = await makeCode(provider, { client, user });
        const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! };
        const replies = await Promise.all(Array.from({ length: racers }, () => postForm(provider, '/oauth2/token', form, auth)));
        assert.equal(replies.filter((r) => r.status === 200).length, 1, JSON.stringify(replies.map((r) => r.body.error ?? 'ok')));
        assert.equal(replies.filter((r) => r.status === 400 && r.body.error === 'invalid_grant').length, racers - 1, `the ${racers - 1} other redemptions get invalid_grant`);
        // A replayed code revokes what it was exchanged for (RFC 6749 §4.1.2).
        assert.notEqual((await provider.store.grants.find(grantId))?.revokedAt, null, 'the replayed code revoked its grant');
        const winner = replies.find((r) => r.status === 200)!;
        assert.equal((await getMe(provider, winner.body.access_token)).status, 401, 'the winner\'s access token is refused once the code is replayed');
        figures.races++;
        figures.requests += racers;
      }
      t.diagnostic(`${rounds} rounds of ${racers} simultaneous redemptions`);
    });

    test(`one refresh token used ${racers} times at once: one 200, ${racers - 1} invalid_grant`, async (t) => {
      for (let round = 0; round < rounds; round++) {
        const { client, clientSecret, tokens, grantId } = await webAppWithTokens(provider);
        const auth = basicAuth(client.id, clientSecret);
        const replies = await Promise.all(Array.from({ length: racers }, () => postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, auth)));
        assert.equal(replies.filter((r) => r.status === 200).length, 1, JSON.stringify(replies.map((r) => r.body.error ?? 'ok')));
        assert.equal(replies.filter((r) => r.status === 400 && r.body.error === 'invalid_grant').length, racers - 1, `the ${racers - 1} other refreshes get invalid_grant`);
        const winner = replies.find((r) => r.status === 200)!;
        assert.notEqual(winner.body.refresh_token, tokens.refresh_token, 'the winner gets a new refresh token');
        // Whatever the losers did to the grant (a reuse revokes it), it has at most one live refresh token.
        const { problems } = await checkStoreConsistency(provider.databaseUrl);
        assert.deepEqual(problems, [], `grant ${grantId}`);
        figures.races++;
        figures.requests += racers;
      }
      t.diagnostic(`${rounds} rounds of ${racers} simultaneous refreshes`);
    });

    for (const registrations of [2, racers]) {
      test(`one identity bound by ${registrations} registrations at once: one account, bound; the others create nothing`, async (t) => {
        // A website's Connect tables, in the provider's database.
        const store = await openConnectStore(provider.databaseUrl);
        t.after(() => store.close());
        for (let round = 0; round < rounds; round++) {
          const tag = `${registrations}-${round}`;
          const identity = await store.recordIdentity({ provider: 'race', subject: `subject-${tag}`, profile: { name: null, email: null, emailVerified: false, avatar: null } });
          const tickets = await Promise.all(Array.from({ length: registrations }, (_, i) => issueTicketForTest(store, identity.id, `browser-${i}`)));
          const results = await Promise.all(
            tickets.map((ticket, i) => registerAndBind(store, { ticket, browserHash: `browser-${i}`, username: `racer-${tag}-${i}`, displayName: 'Racer' })),
          );
          assert.equal(results.filter((r) => r.ok).length, 1, `exactly one of the ${registrations} registrations binds the identity`);
          assert.ok(results.every((r) => r.ok || r.code === 'identity_taken'), JSON.stringify(results.filter((r) => !r.ok)));
          const winner = results.find((r) => r.ok)!;
          assert.ok(winner.ok, 'one registration won');
          assert.equal((await store.findIdentity(identity.id))!.userId, winner.user.id, 'the identity is bound to the winner\'s account');
          const created = await Promise.all(tickets.map((_, i) => store.findConnectUserByUsername(`racer-${tag}-${i}`)));
          assert.deepEqual(created.filter(Boolean).map((u) => u!.id), [winner.user.id], 'only the winner\'s account was created');
          figures.races++;
          figures.requests += registrations;
        }
        t.diagnostic(`${rounds} rounds of ${registrations} simultaneous registrations`);
      });
    }
  });
}

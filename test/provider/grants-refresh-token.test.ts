import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/lib/crypto.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, getMe, postForm, webAppWithTokens } from './token-fixtures.ts';

for (const kind of storeKinds) {
  describe(`refresh_token grant on ${kind.name}`, () => {
    let provider: RunningProvider;
    let introspector: Record<string, string>;
    before(async () => {
      provider = await startProvider(kind);
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      introspector = basicAuth(client.id, clientSecret!);
    });
    after(() => provider.close());

    const refresh = (auth: Record<string, string>, refreshToken: string, extra: Record<string, string> = {}) =>
      postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, auth);
    // Access tokens are introspected by a resource server; refresh tokens only by the app they belong to.
    const isActive = async (token: string, auth = introspector) => (await postForm(provider, '/oauth2/introspect', { token }, auth)).body.active;

    test('each use rotates: a new pair, and the old refresh token is spent', async () => {
      const { client, clientSecret, user, tokens } = await webAppWithTokens(provider, { scope: 'profile email' });
      const auth = basicAuth(client.id, clientSecret);
      const reply = await refresh(auth, tokens.refresh_token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.headers.get('cache-control'), 'no-store', 'the token answer is not cached (Cache-Control: no-store)');
      assert.notEqual(reply.body.refresh_token, tokens.refresh_token, 'each use rotates: a new refresh token is issued');
      assert.notEqual(reply.body.access_token, tokens.access_token, 'each use issues a new access token');
      assert.equal(reply.body.scope, 'profile email', 'the refreshed token keeps the scope of the grant');
      assert.equal(reply.body.uid, user.id, 'the refreshed answer names the user as uid');
      const stored = await provider.store.refreshTokens.find(sha256(tokens.refresh_token));
      assert.notEqual(stored?.rotatedAt, null, 'the used refresh token is marked as rotated');
      assert.equal(await isActive(tokens.refresh_token, auth), false, 'the old refresh token is spent: it introspects as inactive');
      assert.equal(await isActive(reply.body.refresh_token, auth), true, 'the new refresh token introspects as active');
    });

    test('scopes taken from the app since are not in the refreshed access token', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider, { scope: 'profile email' });
      await provider.store.clients.update(client.id, { scopes: ['profile'] });
      const reply = await refresh(basicAuth(client.id, clientSecret), tokens.refresh_token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.scope, 'profile', 'a scope taken from the app since is not in the refreshed access token');
    });

    test('a rotated token used again revokes the whole family', async () => {
      const { client, clientSecret, grantId, tokens } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      const second = await refresh(auth, tokens.refresh_token);
      const third = await refresh(auth, second.body.refresh_token);
      assert.equal(third.status, 200, `the second rotation succeeds: ${JSON.stringify(third.body)}`);
      const family = [tokens.access_token, second.body.access_token, third.body.access_token];
      for (const token of family) assert.equal((await getMe(provider, token)).status, 200, 'every access token of the family works before the replay');

      // The thief (or the victim) presents the first refresh token again.
      const replay = await refresh(auth, tokens.refresh_token);
      assert.equal(replay.status, 400, `a rotated refresh token used again is refused with 400: ${JSON.stringify(replay.body)}`);
      assert.equal(replay.body.error, 'invalid_grant', 'a rotated refresh token used again is invalid_grant');

      for (const token of family) {
        const me = await getMe(provider, token);
        assert.equal(me.status, 401, 'after the replay every access token of the family is refused at /api/me');
        assert.match(me.headers.get('www-authenticate')!, /error="invalid_token"/, 'the refused access token is answered with invalid_token');
        assert.equal(await isActive(token), false, 'after the replay every access token of the family introspects as inactive');
      }
      assert.equal(await isActive(third.body.refresh_token, auth), false, 'after the replay the newest refresh token introspects as inactive');
      assert.equal((await refresh(auth, third.body.refresh_token)).body.error, 'invalid_grant', 'after the replay the newest refresh token is refused as invalid_grant');
      assert.equal((await provider.store.grants.find(grantId))?.revokeReason, 'refresh_token_reused', 'the grant is recorded as revoked for refresh_token_reused');
      await provider.ctx.audit.flush();
      const reuses = (await provider.store.audit.list({ event: 'refresh_token_reused', limit: 100 })).filter((e) => e.detail?.grant_id === grantId);
      assert.equal(reuses.length, 1, 'the reuse is audited once for the grant');
    });

    test('of 20 simultaneous uses of one refresh token exactly one succeeds', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      const replies = await Promise.all(Array.from({ length: 20 }, () => refresh(auth, tokens.refresh_token)));
      assert.equal(replies.filter((r) => r.status === 200).length, 1, JSON.stringify(replies.map((r) => r.body.error ?? 'ok')));
      assert.equal(
        replies.filter((r) => r.body.error === 'invalid_grant').length,
        19,
        `the 19 other simultaneous uses are invalid_grant: ${JSON.stringify(replies.map((r) => r.body))}`,
      );
    });

    test('the scope may be narrowed, never widened', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider, { scope: 'profile' });
      const auth = basicAuth(client.id, clientSecret);
      const widened = await refresh(auth, tokens.refresh_token, { scope: 'profile email' });
      assert.equal(widened.status, 400, `a widened scope is refused with 400: ${JSON.stringify(widened.body)}`);
      assert.equal(widened.body.error, 'invalid_scope', 'a widened scope is invalid_scope');
      // Refused requests do not spend the token.
      const same = await refresh(auth, tokens.refresh_token, { scope: 'profile' });
      assert.equal(same.status, 200, JSON.stringify(same.body));

      const both = await webAppWithTokens(provider, { scope: 'profile email' });
      const bothAuth = basicAuth(both.client.id, both.clientSecret);
      const narrowed = await refresh(bothAuth, both.tokens.refresh_token, { scope: 'profile' });
      assert.equal(narrowed.body.scope, 'profile', `the scope may be narrowed: ${JSON.stringify(narrowed.body)}`);
      assert.equal((await getMe(provider, narrowed.body.access_token)).body.email, undefined, 'the narrowed access token does not get the email at /api/me');
      // The new refresh token keeps the scope of the one it replaced (RFC 6749 §6).
      const again = await refresh(bothAuth, narrowed.body.refresh_token);
      assert.equal(again.body.scope, 'profile email', 'the new refresh token keeps the scope of the one it replaced (RFC 6749 §6)');
    });

    test('another client cannot use the refresh token', async () => {
      const { tokens } = await webAppWithTokens(provider);
      const other = await provider.registerClient({ appType: 'web' });
      const reply = await refresh(basicAuth(other.client.id, other.clientSecret!), tokens.refresh_token);
      assert.equal(reply.body.error, 'invalid_grant', `another client cannot use the refresh token: ${JSON.stringify(reply.body)}`);
      const unknown = await refresh(basicAuth(other.client.id, other.clientSecret!), 'no-such-token');
      assert.equal(reply.body.error_description, unknown.body.error_description, 'and is told no more than of a token that does not exist');
    });

    test('a revoked grant, an unknown token, a missing token', async () => {
      const { client, clientSecret, grantId, tokens } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      await provider.store.grants.revoke(grantId, 'test');
      assert.equal((await refresh(auth, tokens.refresh_token)).body.error, 'invalid_grant', 'the refresh token of a revoked grant is invalid_grant');
      assert.equal((await refresh(auth, 'unknown')).body.error, 'invalid_grant', 'an unknown refresh token is invalid_grant');
      const missing = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token' }, auth);
      assert.equal(missing.body.error, 'invalid_request', `a refresh without refresh_token is invalid_request: ${JSON.stringify(missing.body)}`);
    });

    test('a public app refreshes with its client_id alone', async () => {
      const { client } = await provider.registerClient({ appType: 'native', redirectUris: ['http://127.0.0.1/callback'] });
      const user = await provider.createUser();
      const { makeCode } = await import('./token-fixtures.ts');
      const { code, verifier } = await makeCode(provider, { client, user, redirectUri: 'http://127.0.0.1/callback' });
      const first = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', client_id: client.id, code, redirect_uri: 'http://127.0.0.1/callback', code_verifier: verifier! });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', client_id: client.id, refresh_token: first.body.refresh_token });
      assert.equal(reply.status, 200, `a public app refreshes with its client_id alone: ${JSON.stringify(reply.body)}`);
    });

    test('a refresh takes 4 SQL statements', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const { result, statements } = await countStatements(provider, () => refresh(basicAuth(client.id, clientSecret), tokens.refresh_token));
      assert.equal(result.status, 200, `the refresh succeeds: ${JSON.stringify(result.body)}`);
      assert.ok(statements.length <= 4, statements.join('\n'));
    });
  });
}

describe('refresh token lifetimes', () => {
  test('an idle token expires, and so does every token of a grant past its absolute lifetime', async () => {
    const { sqliteKind } = await import('../helpers/stores.ts');
    const provider = await startProvider(sqliteKind);
    try {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      const stored = (await provider.store.refreshTokens.find(sha256(tokens.refresh_token)))!;
      assert.equal(stored.expiresAt - stored.createdAt, provider.config.lifetimes.refreshTokenIdle, 'a new refresh token expires after the idle lifetime');
      const grant = (await provider.store.grants.find(stored.grantId))!;
      assert.equal(
        stored.absoluteExpiresAt,
        grant.createdAt + provider.config.lifetimes.refreshTokenAbsolute,
        'the refresh token ends at the absolute lifetime counted from the grant',
      );

      const past = Math.floor(Date.now() / 1000) - 1;
      await provider.store.refreshTokens.create({ ...stored, tokenHash: sha256('idle-expired'), expiresAt: past });
      const idle = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: 'idle-expired' }, auth);
      assert.equal(idle.body.error, 'invalid_grant', `an idle-expired refresh token is invalid_grant: ${JSON.stringify(idle.body)}`);
      assert.match(idle.body.error_description, /expired/, 'the error description says the token expired');
      await provider.store.refreshTokens.create({ ...stored, tokenHash: sha256('absolute-expired'), absoluteExpiresAt: past });
      const absolute = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: 'absolute-expired' }, auth);
      assert.equal(absolute.body.error, 'invalid_grant', `a refresh token past the absolute lifetime is invalid_grant: ${JSON.stringify(absolute.body)}`);
    } finally {
      await provider.close();
    }
  });

  test('a rotated token used again within the grace period gets a fresh pair and revokes nothing', async () => {
    const { sqliteKind } = await import('../helpers/stores.ts');
    const provider = await startProvider(sqliteKind, { lifetimes: { refreshTokenReuseGrace: 60 } });
    try {
      const { client, clientSecret, grantId, tokens } = await webAppWithTokens(provider);
      const auth = basicAuth(client.id, clientSecret);
      const first = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, auth);
      const retry = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, auth);
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.notEqual(retry.body.refresh_token, first.body.refresh_token, 'a retry within the grace period gets a fresh refresh token');
      assert.equal((await provider.store.grants.find(grantId))?.revokedAt, null, 'a retry within the grace period revokes nothing');
      assert.equal((await getMe(provider, first.body.access_token)).status, 200, 'the first access token still works after the retry');
      assert.equal((await getMe(provider, retry.body.access_token)).status, 200, 'the retry\'s access token works');
    } finally {
      await provider.close();
    }
  });
});

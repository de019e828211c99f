import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { s256 } from '../../src/lib/crypto.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, getMe, makeCode, postForm, redirectUri } from './token-fixtures.ts';

test('RFC 7636 Appendix B: the S256 challenge of the example verifier', () => {
  assert.equal(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'the S256 challenge of the RFC 7636 example verifier is the one in Appendix B');
});

for (const kind of storeKinds) {
  describe(`authorization_code grant on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    async function webApp(extra: Parameters<RunningProvider['registerClient']>[0] = { appType: 'web' }) {
      const { client, clientSecret } = await provider.registerClient(extra);
      return { client, secret: clientSecret!, auth: clientSecret ? basicAuth(client.id, clientSecret) : {} };
    }

    test('a code becomes an RFC 9068 access token, a refresh token and the uid', async () => {
      const { client, auth } = await webApp();
      const user = await provider.createUser();
      const { code, verifier, grantId } = await makeCode(provider, { client, user, scope: 'profile email' });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! }, auth);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.headers.get('cache-control'), 'no-store', 'the token response is never cached');
      const body = reply.body;
      assert.equal(body.token_type, 'Bearer', 'the access token is a Bearer token');
      assert.equal(body.expires_in, provider.config.lifetimes.accessToken, 'expires_in is the configured access token lifetime');
      assert.equal(body.scope, 'profile email', 'the token carries the scope that was granted');
      assert.equal(body.uid, user.id, 'the response names the uid of the user who granted access');
      assert.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/, 'the refresh token is 43 base64url characters');
      const header = decodeProtectedHeader(body.access_token);
      assert.equal(header.typ, 'at+jwt', 'the access token is typed at+jwt (RFC 9068)');
      assert.equal(header.alg, 'EdDSA', 'the access token is signed with EdDSA');
      assert.equal(header.kid, provider.ctx.keys.signingKey().kid, "the access token names the provider's current signing key");
      const claims = decodeJwt(body.access_token);
      assert.equal(claims.iss, provider.url, 'the issuer is the provider');
      assert.equal(claims.sub, user.id, 'the subject is the user who granted access');
      assert.equal(claims.aud, provider.url, 'the audience is the provider');
      assert.equal(claims.client_id, client.id, 'client_id is the app that redeemed the code');
      assert.equal(claims.scope, 'profile email', 'the scope claim is the scope that was granted');
      assert.equal(claims.gid, grantId, 'gid names the grant the code belongs to');
      assert.equal(typeof claims.jti, 'string', 'the access token has a jti');
      assert.equal(claims.exp! - claims.iat!, provider.config.lifetimes.accessToken, 'the access token lives for the configured lifetime');
      const grant = await provider.store.grants.find(grantId);
      assert.equal(grant?.userId, user.id, 'the grant belongs to the user who granted access');
      assert.equal(grant?.revokedAt, null, 'the grant is not revoked');
      assert.equal((await getMe(provider, body.access_token)).status, 200, 'the new access token works at /api/me');
    });

    test('the Weibo path /oauth2/access_token answers the same, with client_secret_post', async () => {
      const { client, secret } = await webApp({ appType: 'web', pkceRequired: false });
      const user = await provider.createUser();
      const { code } = await makeCode(provider, { client, user, verifier: null });
      const reply = await postForm(provider, '/oauth2/access_token', {
        client_id: client.id, client_secret: secret, grant_type: 'authorization_code', redirect_uri: redirectUri, code,
      });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.uid, user.id, 'the Weibo path names the uid of the user who granted access');
      assert.equal(typeof reply.body.expires_in, 'number', 'the Weibo path gives expires_in as a number');
    });

    test('a public app authenticates with its client_id alone and PKCE', async () => {
      const { client } = await webApp({ appType: 'spa' });
      const user = await provider.createUser();
      const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
      const { code } = await makeCode(provider, { client, user, verifier });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', client_id: client.id, code, redirect_uri: redirectUri, code_verifier: verifier });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.headers.get('access-control-allow-origin'), '*', 'a public app may read the token response from any origin');
    });

    test('an app without the refresh_token grant gets no refresh token', async () => {
      const { client, auth } = await webApp({ appType: 'web', grantTypes: ['authorization_code'] });
      const user = await provider.createUser();
      const { code, verifier } = await makeCode(provider, { client, user });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! }, auth);
      assert.equal(reply.status, 200, `the token endpoint answers 200: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.refresh_token, undefined, 'an app without the refresh_token grant gets no refresh token');
    });

    test('an opaque-token app gets an opaque access token that works at /api/me', async () => {
      const { client, auth } = await webApp({ appType: 'web', tokenFormat: 'opaque' });
      const user = await provider.createUser();
      const { code, verifier } = await makeCode(provider, { client, user });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! }, auth);
      assert.equal(reply.status, 200, `the token endpoint answers 200: ${JSON.stringify(reply.body)}`);
      assert.match(reply.body.access_token, /^[A-Za-z0-9_-]{43}$/, 'the opaque access token is 43 base64url characters');
      const me = await getMe(provider, reply.body.access_token);
      assert.equal(me.status, 200, `the opaque access token works at /api/me: ${JSON.stringify(me.body)}`);
      assert.equal(me.body.uid, user.id, '/api/me names the user who granted access');
    });

    describe('refusals', () => {
      async function setup(codeOptions: Partial<Parameters<typeof makeCode>[1]> = {}) {
        const app = await webApp();
        const user = await provider.createUser();
        const made = await makeCode(provider, { client: app.client, user, ...codeOptions });
        return { ...app, user, ...made };
      }
      const exchange = (form: Record<string, string>, headers: Record<string, string>) =>
        postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', ...form }, headers);

      test('a missing code is invalid_request', async () => {
        const { auth } = await setup();
        const reply = await exchange({ redirect_uri: redirectUri }, auth);
        assert.equal(reply.status, 400, `a missing code is refused with 400: ${JSON.stringify(reply.body)}`);
        assert.deepEqual(Object.keys(reply.body).sort(), ['error', 'error_description'], 'the error response has only error and error_description');
        assert.equal(reply.body.error, 'invalid_request', 'a missing code is invalid_request');
      });

      test('an unknown code is invalid_grant', async () => {
        const { auth } = await setup();
        const reply = await exchange({ code: 'not-a-code', redirect_uri: redirectUri }, auth);
        assert.equal(reply.status, 400, `an unknown code is refused with 400: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.error, 'invalid_grant', 'an unknown code is invalid_grant');
      });

      test('an expired code is invalid_grant', async () => {
        const { auth, code, verifier } = await setup({ expiresIn: -1 });
        const reply = await exchange({ code, redirect_uri: redirectUri, code_verifier: verifier! }, auth);
        assert.equal(reply.body.error, 'invalid_grant', 'an expired code is invalid_grant');
        assert.match(reply.body.error_description, /expired/, 'the error description says the code expired');
      });

      test("another client's code is invalid_grant, said as of an unknown code, recorded, and neither spent nor burnt", async () => {
        const { auth, code, verifier, client } = await setup();
        const other = await webApp();
        const reply = await exchange({ code, redirect_uri: redirectUri, code_verifier: verifier! }, other.auth);
        assert.equal(reply.body.error, 'invalid_grant', "another client's code is invalid_grant");
        const unknown = await exchange({ code: 'no-such-code', redirect_uri: redirectUri, code_verifier: verifier! }, other.auth);
        assert.equal(reply.body.error_description, unknown.body.error_description, 'the answer is the one for a code that does not exist: it tells the other client nothing');
        await provider.ctx.audit.flush();
        const [misuse] = await provider.store.audit.list({ clientId: client.id, event: 'code_misused', limit: 1 });
        assert.equal(misuse?.detail?.presented_by, other.client.id, "the attempt is recorded for the code's app, naming the client that presented it");
        // RFC 6749 §4.1.3: the code is the client's own; another's attempt must not burn it.
        const own = await exchange({ code, redirect_uri: redirectUri, code_verifier: verifier! }, auth);
        assert.equal(own.status, 200, `the client the code was issued to still exchanges it: ${JSON.stringify(own.body)}`);
      });

      test('a different redirect_uri is invalid_grant', async () => {
        const { auth, code, verifier } = await setup();
        const reply = await exchange({ code, redirect_uri: 'https://app.example/other', code_verifier: verifier! }, auth);
        assert.equal(reply.body.error, 'invalid_grant', 'a different redirect_uri is invalid_grant');
        assert.match(reply.body.error_description, /redirect_uri/, 'the error description names redirect_uri');
      });

      test('redirect_uri may be left out only when it is the one registered', async () => {
        const { auth, code, verifier } = await setup();
        const reply = await exchange({ code, code_verifier: verifier! }, auth);
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        const { client, auth: auth2 } = await webApp({ appType: 'web', redirectUris: [redirectUri, 'https://app.example/two'] });
        const made = await makeCode(provider, { client, user: await provider.createUser() });
        const refused = await exchange({ code: made.code, code_verifier: made.verifier! }, auth2);
        assert.equal(refused.body.error, 'invalid_grant', 'redirect_uri may not be left out when the app registered more than one');
      });

      test('a missing code_verifier is invalid_grant when the code has a challenge', async () => {
        const { auth, code } = await setup();
        const reply = await exchange({ code, redirect_uri: redirectUri }, auth);
        assert.equal(reply.body.error, 'invalid_grant', 'a missing code_verifier is invalid_grant when the code has a challenge');
        assert.match(reply.body.error_description, /code_verifier/, 'the error description names code_verifier');
      });

      test('a wrong code_verifier is invalid_grant', async () => {
        const { auth, code } = await setup();
        const reply = await exchange({ code, redirect_uri: redirectUri, code_verifier: 'a'.repeat(43) }, auth);
        assert.equal(reply.body.error, 'invalid_grant', 'a wrong code_verifier is invalid_grant');
      });

      test('a malformed code_verifier is invalid_request and leaves the code usable', async () => {
        const { auth, code, verifier } = await setup();
        for (const bad of ['short', 'a'.repeat(129), `${'a'.repeat(42)}!`]) {
          const reply = await exchange({ code, redirect_uri: redirectUri, code_verifier: bad }, auth);
          assert.equal(reply.body.error, 'invalid_request', bad);
        }
        const reply = await exchange({ code, redirect_uri: redirectUri, code_verifier: verifier! }, auth);
        assert.equal(reply.status, 200, `the code is still usable after malformed verifiers: ${JSON.stringify(reply.body)}`);
      });

      test('a code_verifier for a code without a challenge is invalid_grant', async () => {
        const { auth, code } = await setup({ verifier: null });
        const reply = await exchange({ code, redirect_uri: redirectUri, code_verifier: 'a'.repeat(43) }, auth);
        assert.equal(reply.body.error, 'invalid_grant', 'a code_verifier for a code without a challenge is invalid_grant');
        assert.match(reply.body.error_description, /no code_challenge/, 'the error description says the code has no code_challenge');
      });
    });

    test('a code used twice is refused, and every token issued from it stops working', async () => {
      const { client, auth } = await webApp();
      const user = await provider.createUser();
      const { code, verifier, grantId } = await makeCode(provider, { client, user });
      const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! };
      const first = await postForm(provider, '/oauth2/token', form, auth);
      assert.equal(first.status, 200, `the first redemption succeeds: ${JSON.stringify(first.body)}`);
      assert.equal((await getMe(provider, first.body.access_token)).status, 200, 'the access token from the first redemption works before the replay');

      const second = await postForm(provider, '/oauth2/token', form, auth);
      assert.equal(second.status, 400, `the second redemption is refused with 400: ${JSON.stringify(second.body)}`);
      assert.equal(second.body.error, 'invalid_grant', 'the second redemption is invalid_grant');

      const me = await getMe(provider, first.body.access_token);
      assert.equal(me.status, 401, 'the access token issued from a replayed code stops working');
      assert.match(me.headers.get('www-authenticate')!, /error="invalid_token"/, 'the refusal says the token is invalid_token');
      const refresh = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, auth);
      assert.equal(refresh.body.error, 'invalid_grant', 'the refresh token issued from a replayed code stops working');
      assert.equal((await provider.store.grants.find(grantId))?.revokeReason, 'code_replayed', 'the grant is revoked because its code was replayed');
      await provider.ctx.audit.flush();
      const events = (await provider.store.audit.list({ event: 'token_revoked', limit: 100 })).filter((e) => e.detail?.grant_id === grantId);
      assert.deepEqual(events.map((e) => e.detail?.reason), ['authorization_code_replayed'], 'one token_revoked event records the replayed authorization code');
    });

    test('of 20 simultaneous redemptions of one code exactly one succeeds', async () => {
      const { client, auth } = await webApp();
      const user = await provider.createUser();
      const { code, verifier, grantId } = await makeCode(provider, { client, user });
      const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! };
      const replies = await Promise.all(Array.from({ length: 20 }, () => postForm(provider, '/oauth2/token', form, auth)));
      assert.equal(replies.filter((r) => r.status === 200).length, 1, 'exactly one of 20 simultaneous redemptions succeeds');
      assert.equal(replies.filter((r) => r.status === 400 && r.body.error === 'invalid_grant').length, 19, 'the other 19 simultaneous redemptions are invalid_grant');
      // The replays revoke the grant, whichever of them came before the winner wrote it.
      const grant = await provider.store.grants.find(grantId);
      assert.notEqual(grant?.revokedAt, null, 'the replays revoke the grant');
      const winner = replies.find((r) => r.status === 200)!;
      assert.equal((await getMe(provider, winner.body.access_token)).status, 401, "the winner's access token stops working once the grant is revoked");
    });

    test('an exchange takes at most 4 SQL statements', async () => {
      const { client, auth } = await webApp();
      const user = await provider.createUser();
      const { code, verifier } = await makeCode(provider, { client, user });
      const { result, statements } = await countStatements(provider, () =>
        postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! }, auth),
      );
      assert.equal(result.status, 200, `the token endpoint answers 200: ${JSON.stringify(result.body)}`);
      assert.ok(statements.length <= 4, statements.join('\n'));
    });
  });
}

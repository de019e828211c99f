import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { hashPassword } from '../../src/provider/accounts/authenticate.ts';
import { OAuthError, type OAuthErrorCode } from '../../src/provider/protocol/errors.ts';
import { handleTokenRequest } from '../../src/provider/protocol/token.ts';
import type { AuthorizationParameters, Client, User } from '../../src/provider/storage.ts';
import { rowCount } from '../helpers/memory-store.ts';
import { app, basicAuth, issuer, issueCode, person, provider, redirectUri, verifier, type Provider } from './fixtures.ts';

// The token endpoint without HTTP: a code exchanged with PKCE, codes and refresh tokens that are
// single use (a second use revokes the grant), an app's own token, and what the features switch.

const info = { address: '127.0.0.1' };

/** Asserts that a token request is refused with this OAuth error code. */
async function refused(promise: Promise<unknown>, code: OAuthErrorCode, message: string): Promise<void> {
  await assert.rejects(promise, (error) => error instanceof OAuthError && error.code === code, message);
}

let p: Provider;
let web: Client;
let webSecret: string;
let user: User;
const authTime = Math.floor(Date.now() / 1000) - 120;

before(async () => {
  p = await provider();
  ({ client: web, clientSecret: webSecret } = (await app(p)) as { client: Client; clientSecret: string });
  user = await person(p);
});

/** A token request from the web app, authenticated with HTTP Basic. */
const asWeb = (params: AuthorizationParameters) =>
  handleTokenRequest(p.ctx, { authorization: basicAuth(web.id, webSecret), params, info });

const exchange = (code: string, extra: AuthorizationParameters = {}) =>
  asWeb({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, ...extra });

describe('authorization_code', () => {
  test('a code and its verifier give an access token, a refresh token and uid, in that order', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    const response = await exchange(code);
    assert.deepEqual(Object.keys(response), ['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token', 'uid'], 'RFC 6749 §5.1 fields, then uid');
    assert.deepEqual(
      { token_type: response.token_type, expires_in: response.expires_in, scope: response.scope, uid: response.uid },
      { token_type: 'Bearer', expires_in: 3600, scope: 'profile email', uid: user.id },
      'a Bearer token for an hour, with the scope allowed, and the user',
    );
    assert.match(response.refresh_token!, /^[A-Za-z0-9_-]{43}$/, 'the refresh token is 32 random bytes, base64url');
  });

  test('the access token is a JWT carrying issuer, subject, audience, app, scope, grant and sign-in time', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    const claims = decodeJwt((await exchange(code)).access_token);
    const { iss, sub, aud, client_id, scope, gid, auth_time, iat, exp, jti } = claims;
    assert.deepEqual(
      { iss, sub, aud, client_id, scope, auth_time },
      { iss: issuer, sub: user.id, aud: issuer, client_id: web.id, scope: 'profile email', auth_time: authTime },
      'the claims of RFC 9068, auth_time from the session that allowed',
    );
    assert.equal(exp! - iat!, 3600, 'it lives for the configured access-token lifetime');
    assert.match(String(jti), /^[0-9a-f-]{36}$/, 'a jti, a UUID');
    const grant = await p.store.grants.find(String(gid));
    assert.deepEqual(
      grant && { clientId: grant.clientId, userId: grant.userId, scope: grant.scope, revokedAt: grant.revokedAt, context: grant.context },
      { clientId: web.id, userId: user.id, scope: 'profile email', revokedAt: null, context: { authTime, sid: 'session-a', amr: ['pwd'] } },
      'gid names the grant written on redemption, with the facts of the authorization',
    );
  });

  test('a replayed code is invalid_grant, and revokes the grant and every token issued from it', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    const first = await exchange(code);
    const gid = String(decodeJwt(first.access_token).gid);
    await refused(exchange(code), 'invalid_grant', 'a code is single use');
    const grant = await p.store.grants.find(gid);
    assert.equal(typeof grant?.revokedAt, 'number', 'the grant stands revoked');
    assert.equal(grant?.revokeReason, 'code_replayed', 'because its code was replayed');
    await refused(asWeb({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }), 'invalid_grant', 'the refresh token from the first exchange is dead');
  });

  test('the same code twice at once: one exchange gets tokens, and the grant ends revoked', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    const outcomes = await Promise.allSettled([exchange(code), exchange(code)]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected'], 'exactly one redemption');
    const winner = outcomes.find((outcome) => outcome.status === 'fulfilled');
    const gid = winner?.status === 'fulfilled' ? String(decodeJwt(winner.value.access_token).gid) : '';
    assert.equal((await p.store.grants.find(gid))?.revokeReason, 'code_replayed', "the winner's tokens are dead on arrival");
  });

  test("another app's code is invalid_grant", async () => {
    const { client: other, clientSecret: otherSecret } = await app(p);
    const code = await issueCode(p.ctx, web, user, authTime);
    const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
    await refused(handleTokenRequest(p.ctx, { authorization: basicAuth(other.id, otherSecret!), params, info }), 'invalid_grant', 'a code is for the app it was issued to');
  });

  test('a wrong verifier is invalid_grant', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    await refused(exchange(code, { code_verifier: 'A'.repeat(43) }), 'invalid_grant', 'the verifier must hash to the challenge');
  });

  test('a missing verifier is invalid_grant, and a malformed one invalid_request', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    await refused(exchange(code, { code_verifier: 'short' }), 'invalid_request', 'checked before the code is spent');
    // The malformed request did not burn the code: this is its first redemption, refused for the missing verifier, not as a replay.
    await assert.rejects(
      asWeb({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
      (error) => error instanceof OAuthError && error.code === 'invalid_grant' && /code_verifier is missing/.test(error.description),
      'the authorization request had a code_challenge',
    );
  });

  test('a redirect_uri other than the one of the authorization request is invalid_grant', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    await refused(exchange(code, { redirect_uri: `${redirectUri}/other` }), 'invalid_grant', 'the redirect URIs must be equal');
  });

  test('an unknown code is invalid_grant', async () => {
    await refused(exchange('not-a-code-anyone-issued'), 'invalid_grant', 'nothing to redeem');
  });
});

describe('refresh_token', () => {
  test('each use rotates the token; a reuse of an old one revokes the grant', async () => {
    const first = await exchange(await issueCode(p.ctx, web, user, authTime));
    const gid = String(decodeJwt(first.access_token).gid);
    const second = await asWeb({ grant_type: 'refresh_token', refresh_token: first.refresh_token! });
    assert.notEqual(second.refresh_token, first.refresh_token, 'a new refresh token each time');
    assert.deepEqual(
      { scope: second.scope, uid: second.uid, gid: decodeJwt(second.access_token).gid, auth_time: decodeJwt(second.access_token).auth_time },
      { scope: 'profile email', uid: user.id, gid, auth_time: authTime },
      'the same grant, scope and sign-in time',
    );

    await refused(asWeb({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }), 'invalid_grant', 'the rotated token is used again');
    const grant = await p.store.grants.find(gid);
    assert.deepEqual([typeof grant?.revokedAt, grant?.revokeReason], ['number', 'refresh_token_reused'], 'the whole grant is revoked');
    await refused(asWeb({ grant_type: 'refresh_token', refresh_token: second.refresh_token! }), 'invalid_grant', "so the honest client's newest token is dead too");
  });

  test('two uses of one refresh token at once: one gets tokens, the other revokes the grant', async () => {
    const first = await exchange(await issueCode(p.ctx, web, user, authTime));
    const gid = String(decodeJwt(first.access_token).gid);
    const outcomes = await Promise.allSettled([1, 2].map(() => asWeb({ grant_type: 'refresh_token', refresh_token: first.refresh_token! })));
    assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected'], 'exactly one use rotates the token');
    const loser = outcomes.find((outcome) => outcome.status === 'rejected');
    assert.equal(loser?.status === 'rejected' && (loser.reason as OAuthError).code, 'invalid_grant', 'the other is a reuse');
    assert.equal((await p.store.grants.find(gid))?.revokeReason, 'refresh_token_reused', 'and the grant goes');
  });

  test('a refresh may narrow the scope, not widen it', async () => {
    const first = await exchange(await issueCode(p.ctx, web, user, authTime, { scope: 'profile' }));
    await refused(asWeb({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, scope: 'profile email' }), 'invalid_scope', 'email was never granted');
    // The refused request did not use the token up.
    const narrowed = await asWeb({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, scope: 'profile' });
    assert.equal(narrowed.scope, 'profile', 'the same token still refreshes');
  });
});

describe('client_credentials', () => {
  test('gives an access token only: no refresh token, no uid, and no grant row', async () => {
    const own = await provider();
    const { client, clientSecret } = await app(own, { appType: 'service', redirectUris: [] });
    const response = await handleTokenRequest(own.ctx, { authorization: basicAuth(client.id, clientSecret!), params: { grant_type: 'client_credentials', scope: 'profile' }, info });
    assert.deepEqual(Object.keys(response), ['access_token', 'token_type', 'expires_in', 'scope'], 'RFC 6749 §4.4.3: no refresh token; no user, so no uid');
    const claims = decodeJwt(response.access_token);
    assert.deepEqual([claims.sub, claims.client_id, 'gid' in claims, 'auth_time' in claims], [client.id, client.id, false, false], 'the app is its own subject; no grant, no sign-in');
    assert.equal(rowCount(own.store, 'grants'), 0, 'nothing was written for it');
  });

  test('a public app may not use it', async () => {
    const { client } = await app(p, { appType: 'spa' });
    await refused(handleTokenRequest(p.ctx, { params: { grant_type: 'client_credentials', client_id: client.id }, info }), 'unauthorized_client', 'it holds no client_credentials grant');
  });
});

describe('the request itself', () => {
  test('a repeated parameter is invalid_request, before the code is looked at', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    await refused(exchange(code, { redirect_uri: [redirectUri, redirectUri] }), 'invalid_request', 'RFC 6749 §3.2');
    await refused(asWeb({ grant_type: ['authorization_code', 'authorization_code'], code }), 'invalid_request', 'grant_type given twice');
    const response = await exchange(code);
    assert.equal(response.uid, user.id, 'the refused requests did not spend the code');
  });

  test('an unknown grant_type is unsupported_grant_type', async () => {
    await refused(asWeb({ grant_type: 'urn:example:unknown' }), 'unsupported_grant_type', 'no such grant');
  });

  test('a missing grant_type is invalid_request', async () => {
    await refused(asWeb({}), 'invalid_request', 'grant_type is required');
  });

  test('a wrong client secret is invalid_client', async () => {
    const code = await issueCode(p.ctx, web, user, authTime);
    const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
    await refused(handleTokenRequest(p.ctx, { authorization: basicAuth(web.id, 'wrong'), params, info }), 'invalid_client', 'the secret is checked');
  });
});

describe('features', () => {
  test('without uidInTokenResponse the response has no uid', async () => {
    const off = await provider({ features: { uidInTokenResponse: false } });
    const { client, clientSecret } = await app(off);
    const someone = await person(off);
    const code = await issueCode(off.ctx, client, someone, authTime);
    const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
    const response = await handleTokenRequest(off.ctx, { authorization: basicAuth(client.id, clientSecret!), params, info });
    assert.deepEqual(Object.keys(response), ['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token'], 'the RFC 6749 §5.1 fields alone');
  });

  test('the password grant issues tokens to a trusted app, and is unsupported_grant_type when switched off', async () => {
    const on = await provider();
    const { client, clientSecret } = await app(on, { trusted: true, grantTypes: ['password', 'refresh_token'], redirectUris: [] });
    const someone = await on.store.users.create({ username: 'pat', passwordHash: await hashPassword(on.config, 'correct horse'), displayName: 'Pat', email: null });
    const params = { grant_type: 'password', username: 'pat', password: 'correct horse' };
    const response = await handleTokenRequest(on.ctx, { authorization: basicAuth(client.id, clientSecret!), params, info });
    assert.deepEqual([response.scope, response.uid, typeof response.refresh_token], ['profile', someone.id, 'string'], 'the default scope, for Pat, refreshable');

    // The same store, and an app registered for the grant before it was switched off.
    const off = await provider({ features: { password: false } }, on.store);
    await refused(
      handleTokenRequest(off.ctx, { authorization: basicAuth(client.id, clientSecret!), params, info }),
      'unsupported_grant_type',
      'a grant that is off is refused as unsupported',
    );
  });
});

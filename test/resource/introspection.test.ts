import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { protectedResource, ResourceError, type ProtectedResourceOptions } from '../../src/resource/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, mintAccessToken, postForm, webAppWithTokens } from '../provider/token-fixtures.ts';

// grantry/resource with opaque access tokens: asked about at the issuer's introspection endpoint
// (RFC 7662), against a real Grantry on each store. The opaque tokens here are those an app whose
// token format is opaque gets for the issuer's own API, so `resource` is the issuer (opaque tokens
// for a registered API of format opaque: test/provider/resource-token-format.test.ts). The
// resource's clock is moved, never waited for.

for (const kind of storeKinds) {
  describe(`grantry/resource: opaque tokens through introspection, on ${kind.name}`, () => {
    let provider: RunningProvider;
    let resourceServer: { clientId: string; clientSecret: string };
    /** Calls the resources made to the introspection endpoint, all of them. */
    let introspections = 0;
    const countingFetch: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/oauth2/introspect')) introspections++;
      return fetch(input, init);
    };

    before(async () => {
      provider = await startProvider(kind);
      // A resource server is a confidential app of type service: it may ask about any app's access tokens.
      const { client, clientSecret } = await provider.registerClient({ appType: 'service', name: 'Resource server' });
      resourceServer = { clientId: client.id, clientSecret: clientSecret! };
    });
    after(() => provider.close());

    /** A resource (the issuer's own API) with a clock the test moves: `clock.at` is in seconds. */
    function resourceWith(overrides: Partial<ProtectedResourceOptions> = {}, clock = { at: Math.floor(Date.now() / 1000) }) {
      const api = protectedResource({
        resource: provider.url,
        authorizationServers: [provider.url],
        introspection: { ...resourceServer, cacheSeconds: 30 },
        fetch: countingFetch,
        now: () => clock.at * 1000,
        ...overrides,
      });
      return { api, clock };
    }

    const refusal = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        if (error instanceof ResourceError) return { status: error.status, code: error.code, description: error.message, challenge: error.wwwAuthenticate };
        throw error;
      }
      assert.fail('the token was accepted');
    };

    test('an opaque token is verified at the introspection endpoint: who, which app, what scope, for this resource', async () => {
      const { client, user, tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque', scope: 'profile email' });
      assert.equal(tokens.access_token.includes('.'), false, 'the app gets an opaque token');
      const { api } = resourceWith();
      const before = introspections;
      const verified = await api.verify(`Bearer ${tokens.access_token}`, { scopes: ['profile'] });
      assert.equal(introspections - before, 1, 'one call to the introspection endpoint');
      assert.deepEqual(
        { subject: verified.subject, clientId: verified.clientId, scopes: verified.scopes, issuer: verified.issuer, audience: verified.audience, token: verified.token },
        { subject: user.id, clientId: client.id, scopes: ['profile', 'email'], issuer: provider.url, audience: [provider.url], token: tokens.access_token },
        'what the introspection answer says, as a JWT\'s claims would',
      );
      assert.ok(verified.expiresAt > Date.now() / 1000 && verified.expiresAt <= Date.now() / 1000 + provider.config.lifetimes.accessToken + 1, `expiresAt is the token's exp: ${verified.expiresAt}`);
      await api.verify(`Bearer ${tokens.access_token}`);
      assert.equal(introspections - before, 1, 'the second use is answered from the cache');
      const narrow = await refusal(api.verify(`Bearer ${tokens.access_token}`, { scopes: ['admin'] }));
      assert.equal(narrow.status, 403, 'scopes are checked as for a JWT');
      assert.equal(narrow.code, 'insufficient_scope', 'RFC 6750 §3.1 insufficient_scope');
    });

    test('through the Express middleware: 200 with the token on the request; an unknown token 401 invalid_token', async () => {
      const { tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      const { api } = resourceWith();
      const app = express();
      app.use(api.express({ scopes: ['profile'] }));
      app.get('/me', (request, response) => response.json({ client: (request as unknown as { auth: { clientId: string } }).auth.clientId }));
      const server = await new Promise<Server>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/me`;
        const good = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        assert.equal(good.status, 200, 'the opaque token passes');
        assert.ok(((await good.json()) as { client: string }).client, 'the verified token is on the request');
        const unknown = await fetch(url, { headers: { authorization: 'Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } });
        assert.equal(unknown.status, 401, 'an unknown token is refused');
        assert.equal(unknown.headers.get('www-authenticate'), `Bearer error="invalid_token", error_description="the token is not active", resource_metadata="${api.metadataUrl}"`, 'RFC 7662 §2.2 inactive: invalid_token, with the exact challenge');
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    test('a revoked opaque token is still accepted while its answer is cached, and refused once the entry ends (RFC 7662 §4)', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      const { api, clock } = resourceWith();
      const start = clock.at;
      await api.verify(`Bearer ${tokens.access_token}`);
      const revoked = await postForm(provider, '/oauth2/revoke', { token: tokens.access_token }, basicAuth(client.id, clientSecret));
      assert.equal(revoked.status, 200, 'revoked at the issuer (RFC 7009)');
      const before = introspections;
      clock.at = start + 29;
      const cached = await api.verify(`Bearer ${tokens.access_token}`);
      assert.equal(cached.token, tokens.access_token, 'still accepted 29 s later: the answer is reused for 30 s, the trade RFC 7662 §4 describes');
      assert.equal(introspections, before, 'without asking the issuer');
      clock.at = start + 30;
      const refused = await refusal(api.verify(`Bearer ${tokens.access_token}`));
      assert.deepEqual([refused.status, refused.code, refused.description], [401, 'invalid_token', 'the token is not active'], 'refused once the entry has ended');
      assert.equal(introspections - before, 1, 'the issuer was asked again');
      await refusal(api.verify(`Bearer ${tokens.access_token}`));
      assert.equal(introspections - before, 2, 'an inactive answer is not cached: a token is never refused longer than the issuer refuses it');
    });

    test('a cache entry never outlives the token\'s exp', async () => {
      const { client, user, grantId } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      // A token of 60 s, in a resource that would otherwise reuse an answer for an hour.
      const { accessToken } = await mintAccessToken(provider.ctx, { client, grantId, userId: user.id, scope: 'profile', lifetime: 60 });
      const { api, clock } = resourceWith({ introspection: { ...resourceServer, cacheSeconds: 3600 } });
      const verified = await api.verify(`Bearer ${accessToken}`);
      const exp = verified.expiresAt;
      assert.ok(exp - clock.at <= 60, 'the token\'s exp is a minute away');
      const before = introspections;
      clock.at = exp - 1;
      await api.verify(`Bearer ${accessToken}`);
      assert.equal(introspections, before, 'reused until just before exp');
      // The issuer's clock has not moved: it still calls the token active; the resource's own check
      // of exp (with its 5 s tolerance) refuses it, and the entry had ended at exp, not an hour on.
      clock.at = exp + 6;
      const expired = await refusal(api.verify(`Bearer ${accessToken}`));
      assert.deepEqual([expired.status, expired.description], [401, 'the token has expired'], 'refused as expired');
      assert.equal(introspections - before, 1, 'the cache entry had ended at the token\'s exp: the issuer was asked');
    });

    test('attacks: a refresh token as a bearer token, an opaque token at another API, an oversized token, a burst of one new token', async () => {
      const { client, clientSecret, tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      // The app itself as the introspecting client, which Grantry tells about its own refresh tokens.
      const { api: asTheApp } = resourceWith({ introspection: { clientId: client.id, clientSecret } });
      const refresh = await refusal(asTheApp.verify(`Bearer ${tokens.refresh_token}`));
      assert.deepEqual([refresh.status, refresh.description], [401, 'the token is not an access token'], 'a refresh token is not a bearer access token (its token_type is refresh_token)');

      // RFC 8707: the token's audience is the issuer's own API, not this one.
      const { api: elsewhere } = resourceWith({ resource: 'https://api.example.com/mcp' });
      const foreign = await refusal(elsewhere.verify(`Bearer ${tokens.access_token}`));
      assert.deepEqual([foreign.status, foreign.code, foreign.description], [401, 'invalid_token', 'the token is for another resource'], 'an opaque token is only for the issuer\'s API');

      const { api } = resourceWith();
      const before = introspections;
      const long = await refusal(api.verify(`Bearer ${'a'.repeat(5000)}`));
      assert.deepEqual([long.status, long.description], [401, 'the token is too long'], 'an oversized token is refused');
      assert.equal(introspections, before, 'without being sent to the issuer');

      const { tokens: fresh } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      const burst = await Promise.all(Array.from({ length: 20 }, () => api.verify(`Bearer ${fresh.access_token}`)));
      assert.ok(burst.every((verified) => verified.token === fresh.access_token), 'every request of the burst is accepted');
      assert.equal(introspections - before, 1, '20 requests at once with one new token make one call');
    });

    test('the cache is bounded: the oldest answer goes first', async () => {
      const { api } = resourceWith({ verifiedCacheEntries: 2 });
      const made = await Promise.all([1, 2, 3].map(() => webAppWithTokens(provider, { tokenFormat: 'opaque' })));
      const [first, second, third] = made.map((m) => `Bearer ${m.tokens.access_token}`) as [string, string, string];
      for (const token of [first, second, third]) await api.verify(token);
      const before = introspections;
      await api.verify(third);
      await api.verify(second);
      assert.equal(introspections, before, 'the two newest are remembered');
      await api.verify(first);
      assert.equal(introspections - before, 1, 'the first, pushed out by the third, is asked about again');
    });

    test('the introspection endpoint unusable: 503, never 401 (the token may be good)', async () => {
      const { tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      // Wrong credentials: the issuer answers 401 to the resource, which is not the token's fault.
      const { api: misconfigured } = resourceWith({ introspection: { clientId: resourceServer.clientId, clientSecret: 'wrong' } });
      const wrong = await refusal(misconfigured.verify(`Bearer ${tokens.access_token}`));
      assert.deepEqual([wrong.status, wrong.code], [503, 'temporarily_unavailable'], 'the resource\'s own credentials refused: 503');
      assert.equal(wrong.challenge, `Bearer resource_metadata="${misconfigured.metadataUrl}"`, 'the bare challenge: no invalid_token that would make the client drop its token');

      // An issuer whose metadata names an introspection endpoint that fails, then one that is down.
      let introspectStatus = 500;
      const stub = createServer((request, response) => {
        if (request.url === '/.well-known/oauth-authorization-server') {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: stubUrl, introspection_endpoint: `${stubUrl}/introspect` }));
        } else if (request.url === '/introspect') {
          response.writeHead(introspectStatus, { 'content-type': 'application/json' }).end(introspectStatus === 200 ? '{"active":"yes"}' : '{"error":"server_error"}');
        } else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
      const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
      try {
        const api = protectedResource({ resource: stubUrl, authorizationServers: [stubUrl], introspection: resourceServer });
        const failing = await refusal(api.verify('Bearer some-opaque-token'));
        assert.deepEqual([failing.status, failing.code], [503, 'temporarily_unavailable'], 'the endpoint answers 500: 503');
        introspectStatus = 200;
        const garbled = await refusal(api.verify('Bearer some-opaque-token'));
        assert.deepEqual([garbled.status, garbled.description], [503, 'the issuer\'s introspection endpoint answered something unreadable'], 'an answer without a boolean active: 503');
        stub.closeAllConnections();
        await new Promise<void>((resolve) => stub.close(() => resolve()));
        const down = await refusal(api.verify('Bearer some-opaque-token'));
        assert.deepEqual([down.status, down.code, down.description], [503, 'temporarily_unavailable', 'the issuer\'s introspection endpoint cannot be reached now'], 'the endpoint down: 503');
      } finally {
        if (stub.listening) stub.close();
      }

      // An issuer whose metadata cannot be read at all.
      const gone = protectedResource({ resource: stubUrl, authorizationServers: [stubUrl], introspection: resourceServer });
      const noMetadata = await refusal(gone.verify('Bearer some-opaque-token'));
      assert.deepEqual([noMetadata.status, noMetadata.code], [503, 'temporarily_unavailable'], 'the issuer\'s metadata unreachable: 503');
    });

    test('without the introspection option, an opaque token is refused as before; introspection.issuer must be an accepted issuer', async () => {
      const { tokens } = await webAppWithTokens(provider, { tokenFormat: 'opaque' });
      const plain = protectedResource({ resource: provider.url, authorizationServers: [provider.url] });
      const refused = await refusal(plain.verify(`Bearer ${tokens.access_token}`));
      assert.deepEqual([refused.status, refused.description], [401, 'the token is not a JWT access token'], 'no credentials to introspect with');
      assert.throws(() => protectedResource({ resource: provider.url, authorizationServers: [provider.url], introspection: { ...resourceServer, issuer: 'https://elsewhere.example' } }), /one of authorizationServers/, 'a configuration mistake fails at start');
    });
  });
}

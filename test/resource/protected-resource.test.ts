import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import express from 'express';
import { generateKeyPair, SignJWT } from 'jose';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerResource } from '../../src/provider/protocol/resources.ts';
import { signJwtAccessToken } from '../../src/provider/protocol/tokens/access-token.ts';
import { rotateSigningKeys } from '../../src/provider/protocol/tokens/keys.ts';
import { metadataUrlOf, protectedResource, ResourceError, type ProtectedResource } from '../../src/resource/index.ts';
import { basic } from '../helpers/basic.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';

// grantry/resource on its own, in front of an Express and a Fastify API, against a real Grantry
// issuing tokens for it (RFC 8707): the metadata (RFC 9728), the challenges (RFC 6750 §3 with
// resource_metadata), and the tokens an attacker would try. The store does not matter here (the
// library reads only HTTP): SQLite.

describe('grantry/resource', () => {
  let provider: RunningProvider;
  let api: ProtectedResource;
  let server: Server;
  let apiUrl: string;
  let resourceUri: string;
  let clientId: string;
  let clientSecret: string;
  let jwksFetches = 0;

  before(async () => {
    provider = await startProvider(sqliteKind);
    // The API listens first, so that its URI (the tokens' audience) is known.
    const app = express();
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    resourceUri = `${apiUrl}/mcp`;
    await registerResource(provider.store, provider.config, { uri: resourceUri, name: 'Test API', scopes: ['tools:read', 'tools:call'] });
    // Trusted: an API's own scopes go, without a person's consent, only to an app an operator trusts.
    const registered = await provider.registerClient({ appType: 'service', name: 'Agent', grantTypes: ['client_credentials'], trusted: true });
    clientId = registered.client.id;
    clientSecret = registered.clientSecret!;
    api = protectedResource({
      resource: resourceUri,
      authorizationServers: [provider.url],
      scopesSupported: ['tools:read', 'tools:call'],
      resourceName: 'Test API',
      fetch: (input, init) => {
        if (String(input instanceof Request ? input.url : input).endsWith('/oauth2/jwks')) jwksFetches++;
        return fetch(input, init);
      },
    });
    app.use(api.express({ scopes: ['tools:read'] }));
    app.get('/mcp', (request, response) => {
      response.json({ subject: (request as unknown as { auth: { subject: string } }).auth.subject });
    });
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await provider.close();
  });

  async function tokenFor(params: Record<string, string>): Promise<string> {
    const answer = await fetch(`${provider.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
    const body = (await answer.json()) as { access_token?: string };
    assert.equal(answer.status, 200, `a token: ${JSON.stringify(body)}`);
    return body.access_token!;
  }

  const call = (token?: string) => fetch(`${apiUrl}/mcp`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  test('the metadata (RFC 9728) at the path-inserted well-known URL', async () => {
    assert.equal(api.metadataUrl, `${apiUrl}/.well-known/oauth-protected-resource/mcp`, 'RFC 9728 §3.1: the path after the well-known part');
    assert.equal(metadataUrlOf('https://api.example.com/'), 'https://api.example.com/.well-known/oauth-protected-resource', 'a resource at the root');
    const answer = await fetch(api.metadataUrl);
    assert.equal(answer.status, 200, 'served by the middleware');
    assert.deepEqual(await answer.json(), {
      resource: resourceUri,
      authorization_servers: [provider.url],
      scopes_supported: ['tools:read', 'tools:call'],
      bearer_methods_supported: ['header'],
      resource_name: 'Test API',
    }, 'the document');
  });

  test('a token for this API with the scope passes, and the route sees who it is for', async () => {
    const answer = await call(await tokenFor({ resource: resourceUri, scope: 'tools:read' }));
    assert.equal(answer.status, 200, 'accepted');
    assert.deepEqual(await answer.json(), { subject: clientId }, 'the verified token is on the request');
  });

  test('no token: 401 naming the metadata; a token without the scope: 403 insufficient_scope', async () => {
    const none = await call();
    assert.equal(none.status, 401, 'no token');
    assert.equal(none.headers.get('www-authenticate'), `Bearer resource_metadata="${api.metadataUrl}"`, 'the bare challenge, with where to start (RFC 9728 §5.1)');
    const narrow = await call(await tokenFor({ resource: resourceUri, scope: 'tools:call' }));
    assert.equal(narrow.status, 403, 'the scope is missing');
    assert.equal(narrow.headers.get('www-authenticate'), `Bearer error="insufficient_scope", error_description="this resource needs the scope tools:read", scope="tools:read", resource_metadata="${api.metadataUrl}"`, 'the exact challenge');
  });

  test('attacks: a token for another audience, a forged signature, alg none and HS256 made with the public key, an expired token, garbage', async () => {
    const reason = async (token: string) => {
      const answer = await call(token);
      assert.equal(answer.status, 401, `refused: ${token.slice(0, 40)}`);
      return /error_description="([^"]*)"/.exec(answer.headers.get('www-authenticate') ?? '')?.[1];
    };
    assert.equal(await reason(await tokenFor({ scope: 'profile' })), 'the token is for another resource', 'a token for the issuer\'s own API');
    const good = await tokenFor({ resource: resourceUri, scope: 'tools:read' });
    const [header, payload] = good.split('.');
    const raised = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'tools:read tools:call admin' })).toString('base64url');
    assert.equal(await reason(`${header}.${raised}.${good.split('.')[2]}`), 'the token signature or claims are invalid', 'a payload changed under its signature');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    assert.equal(await reason(none), 'the token is not signed with an accepted algorithm', 'alg none');
    const jwks = (await (await fetch(`${provider.url}/oauth2/jwks`)).json()) as { keys: { x?: string }[] };
    const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: JSON.parse(Buffer.from(header!, 'base64url').toString()).kid })).toString('base64url');
    const hsSignature = createHmac('sha256', JSON.stringify(jwks.keys[0])).update(`${hsHeader}.${payload}`).digest('base64url');
    assert.equal(await reason(`${hsHeader}.${payload}.${hsSignature}`), 'the token is not signed with an accepted algorithm', 'HS256 with the public key as the secret');
    const expired = signJwtAccessToken(provider.ctx, { context: { clientId, userId: null, scope: 'tools:read', audience: [resourceUri] }, grantId: null, lifetime: -60, subject: clientId });
    assert.equal(await reason(expired), 'the token has expired', 'expired a minute ago');
    assert.equal(await reason('not-a-jwt'), 'the token is not a JWT access token', 'garbage');
  });

  test('a key rotated at the issuer is fetched when a token names it (no refetch floor); a flood of unknown kids fetches the keys at most once', async () => {
    let fetches = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/oauth2/jwks')) fetches++;
      return fetch(input, init);
    };
    const eager = protectedResource({ resource: resourceUri, authorizationServers: [provider.url], jwksRefetchFloorSeconds: 0, fetch: counting });
    await eager.verify(`Bearer ${await tokenFor({ resource: resourceUri, scope: 'tools:read' })}`);
    assert.equal(fetches, 1, 'the keys, fetched once');
    await rotateSigningKeys(provider.store, provider.config, 0);
    await provider.ctx.keys.reload();
    const rotated = await eager.verify(`Bearer ${await tokenFor({ resource: resourceUri, scope: 'tools:read' })}`);
    assert.equal(rotated.clientId, clientId, 'a token signed by the new key is accepted');
    assert.equal(fetches, 2, 'after fetching the keys once more');

    const before = jwksFetches;
    const good = await tokenFor({ resource: resourceUri, scope: 'tools:read' });
    const [, payload, signature] = good.split('.');
    const flood = await Promise.all(Array.from({ length: 50 }, (_, index) => {
      const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: `made-up-${index}` })).toString('base64url');
      return call(`${header}.${payload}.${signature}`);
    }));
    assert.ok(flood.every((response) => response.status === 401), 'every made-up kid is refused');
    // The floor is 30 s: however long the tests before took, 50 made-up kids at once cost one fetch at most.
    assert.ok(jwksFetches - before <= 1, `50 unknown kids fetch the keys at most once: ${jwksFetches - before}`);
  });

  test('the MCP TypeScript SDK\'s requireBearerAuth with the verifier: a good token passes, a bad one is the SDK\'s 401 naming the metadata, a missing scope its 403', async () => {
    // A resource of its own, whose first fetch of the keys is after the rotation above.
    const api = protectedResource({ resource: resourceUri, authorizationServers: [provider.url] });
    const app = express();
    app.get('/mcp', requireBearerAuth({ verifier: api.mcpVerifier({ InvalidTokenError, ServerError }), requiredScopes: ['tools:read'], resourceMetadataUrl: api.metadataUrl, expectedResource: new URL(resourceUri) }), (request, response) => {
      response.json({ client: (request as unknown as { auth: { clientId: string } }).auth.clientId });
    });
    const sdkServer = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const at = `http://127.0.0.1:${(sdkServer.address() as AddressInfo).port}/mcp`;
    try {
      const good = await fetch(at, { headers: { authorization: `Bearer ${await tokenFor({ resource: resourceUri, scope: 'tools:read' })}` } });
      assert.deepEqual([good.status, await good.json()], [200, { client: clientId }], 'a good token passes, and the SDK sees its AuthInfo');
      const foreign = await fetch(at, { headers: { authorization: `Bearer ${await tokenFor({ scope: 'profile' })}` } });
      assert.equal(foreign.status, 401, 'a token for another resource: the SDK\'s 401, not a 500');
      assert.match(foreign.headers.get('www-authenticate') ?? '', new RegExp(`error="invalid_token", error_description="the token is for another resource".*resource_metadata="${api.metadataUrl}"`), 'naming the metadata');
      const narrow = await fetch(at, { headers: { authorization: `Bearer ${await tokenFor({ resource: resourceUri, scope: 'tools:call' })}` } });
      assert.equal(narrow.status, 403, 'a token without the scope: the SDK\'s 403');
    } finally {
      sdkServer.closeAllConnections();
      await new Promise<void>((resolve) => sdkServer.close(() => resolve()));
    }
  });

  test('the Fastify plugin guards the routes beside it; the MCP verifier answers as the SDK\'s OAuthTokenVerifier', async () => {
    // A resource of its own, whose first fetch of the keys is after the rotation above.
    const api = protectedResource({ resource: resourceUri, authorizationServers: [provider.url] });
    const app: FastifyInstance = Fastify();
    await app.register(async (scope) => {
      await scope.register(api.fastify({ scopes: ['tools:read'] }));
      scope.get('/mcp', async (request) => ({ client: (request as unknown as { auth: { clientId: string } }).auth.clientId }));
    });
    app.get('/open', async () => ({ open: true }));
    const token = await tokenFor({ resource: resourceUri, scope: 'tools:read' });
    const guarded = await app.inject({ method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual([guarded.statusCode, guarded.json()], [200, { client: clientId }], 'a good token passes');
    const refused = await app.inject({ method: 'GET', url: '/mcp' });
    assert.equal(refused.statusCode, 401, 'no token: refused');
    assert.equal(refused.headers['www-authenticate'], `Bearer resource_metadata="${api.metadataUrl}"`, 'with the challenge');
    assert.equal((await app.inject({ method: 'GET', url: '/open' })).statusCode, 200, 'a route outside the plugin\'s scope is not guarded');
    assert.equal((await app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource/mcp' })).json().resource, resourceUri, 'the metadata is served');
    await app.close();

    const info = await api.mcpVerifier({ InvalidTokenError }).verifyAccessToken(token);
    assert.deepEqual({ ...info, expiresAt: typeof info.expiresAt }, { token, clientId, scopes: ['tools:read'], expiresAt: 'number', resource: new URL(resourceUri), extra: { subject: clientId } }, 'AuthInfo: token, clientId, scopes, expiresAt, resource');
    await assert.rejects(api.mcpVerifier({ InvalidTokenError }).verifyAccessToken('nope'), InvalidTokenError, 'a bad token rejects with the SDK\'s own error');
    await assert.rejects(api.verify('Bearer a b'), (error: unknown) => error instanceof ResourceError && error.status === 400 && error.code === 'invalid_request', 'a malformed header is 400 invalid_request (RFC 6750 §3.1)');
  });
  test('keys handed over (the `keys` option) instead of fetched: no fetch at all; an unknown kid is refused; a remembered token goes with its key', async () => {
    // The issuer's own API, as the provider serves it: its key ring plugs in directly.
    const withdrawn = new Set<string>();
    let fetches = 0;
    let clock = Date.now();
    const own = protectedResource({
      resource: provider.url,
      authorizationServers: [provider.url],
      keys: (kid) => (kid === undefined || withdrawn.has(kid) ? undefined : provider.ctx.keys.verificationKey(kid)?.publicKey),
      fetch: () => {
        fetches++;
        throw new Error('no fetch expected');
      },
      now: () => clock,
    });
    const token = await tokenFor({ scope: 'profile' });
    const verified = await own.verify(`Bearer ${token}`, { scopes: ['profile'] });
    assert.deepEqual([verified.clientId, verified.audience], [clientId, [provider.url]], 'a token for the issuer\'s own API, verified with the handed-over key');
    assert.equal((await own.verify(`Bearer ${token}`)).token, token, 'and again, from what was remembered');
    assert.equal(fetches, 0, 'neither the metadata nor the keys were fetched');

    const [, payload, signature] = token.split('.');
    const madeUp = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'made-up' })).toString('base64url')}.${payload}.${signature}`;
    await assert.rejects(own.verify(`Bearer ${madeUp}`), (error: unknown) => error instanceof ResourceError && error.status === 401 && error.message === 'the token was signed by a key the issuer does not publish', 'a kid the ring does not hold: 401');

    // A remembered token still ends at its exp (with the 5 s tolerance)...
    clock = (verified.expiresAt + 6) * 1000;
    await assert.rejects(own.verify(`Bearer ${token}`), (error: unknown) => error instanceof ResourceError && error.status === 401 && error.message === 'the token has expired', 'a remembered token expires at its exp');
    // ...and a key taken out of the ring takes its remembered tokens with it.
    clock = Date.now();
    const other = await tokenFor({ scope: 'profile' });
    await own.verify(`Bearer ${other}`);
    withdrawn.add(JSON.parse(Buffer.from(other.split('.')[0]!, 'base64url').toString()).kid);
    await assert.rejects(own.verify(`Bearer ${other}`), (error: unknown) => error instanceof ResourceError && error.status === 401 && error.message === 'the token was signed by a key the issuer does not publish', 'a remembered token whose key was withdrawn is refused');
  });

  test('keys handed over as a promise (a server that loads them): the same answers, a remembered token with its key', async () => {
    const withdrawn = new Set<string>();
    let asked = 0;
    const own = protectedResource({
      resource: provider.url,
      authorizationServers: [provider.url],
      keys: async (kid) => {
        asked++;
        return kid === undefined || withdrawn.has(kid) ? undefined : provider.ctx.keys.verificationKey(kid)?.publicKey;
      },
      fetch: () => Promise.reject(new Error('no fetch expected')),
    });
    const token = await tokenFor({ scope: 'profile' });
    assert.equal((await own.verify(`Bearer ${token}`, { scopes: ['profile'] })).token, token, 'verified with the key the promise gave');
    assert.equal((await own.verify(`Bearer ${token}`, { scopes: ['profile'] })).token, token, 'and again, remembered');
    assert.equal(asked, 2, 'the keys were asked on the remembered hit too: a key taken away takes its tokens with it');
    withdrawn.add(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid);
    await assert.rejects(own.verify(`Bearer ${token}`), (error: unknown) => error instanceof ResourceError && error.status === 401 && error.message === 'the token was signed by a key the issuer does not publish', 'a remembered token whose key the promise no longer gives is refused');
    // Headers that are not a Bearer token, or are a malformed one, whatever the whitespace (RFC 6750 §2.1, §3.1).
    for (const [header, status] of [['   ', 401], ['Basic a.b.c', 401], ['  Bearer a.b.c', 400], ['Bearer a.b.c.d', 401], ['Bearer a..b', 401], ['Bearer ', 400]] as const) {
      await assert.rejects(own.verify(header), (error: unknown) => error instanceof ResourceError && error.status === status, `${JSON.stringify(header)}: ${status}`);
    }
  });

  test('keys handed over as CryptoKeys: a token whose alg does not fit the named key is 401, never 503; a keys callback that throws is 503', async () => {
    const { publicKey: edPublic, privateKey: edPrivate } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { privateKey: rsaPrivate, publicKey: rsaPublic } = await generateKeyPair('RS256');
    const { privateKey: ecPrivate } = await generateKeyPair('ES256');
    const resource = 'https://api.example/data';
    const handed = protectedResource({
      resource, authorizationServers: ['https://id.example'], algorithms: ['EdDSA', 'RS256', 'ES256'],
      keys: (kid) => (kid === 'ed' ? edPublic : kid === 'rsa' ? rsaPublic : undefined),
      fetch: () => Promise.reject(new Error('no fetch expected')),
    });
    const now = Math.floor(Date.now() / 1000);
    const sign = (alg: string, kid: string, key: CryptoKey) => new SignJWT({ client_id: 'c', scope: 'x' }).setProtectedHeader({ alg, typ: 'at+jwt', kid })
      .setIssuer('https://id.example').setAudience(resource).setSubject('u').setJti(`j-${alg}-${kid}`).setIssuedAt(now).setExpirationTime(now + 600).sign(key);
    assert.equal((await handed.verify(`Bearer ${await sign('EdDSA', 'ed', edPrivate)}`)).subject, 'u', 'the right key and alg: verified');
    for (const [alg, kid, key] of [['RS256', 'ed', rsaPrivate], ['EdDSA', 'rsa', edPrivate], ['ES256', 'ed', ecPrivate]] as const) {
      await assert.rejects(handed.verify(`Bearer ${await sign(alg, kid, key)}`), (error: unknown) => error instanceof ResourceError && error.status === 401 && error.code === 'invalid_token', `${alg} naming the ${kid} key: 401 invalid_token (the client must not keep the token)`);
    }
    const broken = protectedResource({ resource, authorizationServers: ['https://id.example'], keys: () => { throw new Error('the key store is down'); }, fetch: () => Promise.reject(new Error('no fetch expected')) });
    await assert.rejects(broken.verify(`Bearer ${await sign('EdDSA', 'ed', edPrivate)}`), (error: unknown) => error instanceof ResourceError && error.status === 503, 'keys that cannot be read now: 503, the client keeps its token');
  });

  test('a token remembered for one scope set is still checked for the scopes of each call', async () => {
    const token = await tokenFor({ resource: resourceUri, scope: 'tools:call' });
    const own = protectedResource({ resource: resourceUri, authorizationServers: [provider.url] });
    assert.deepEqual((await own.verify(`Bearer ${token}`, { scopes: ['tools:call'] })).scopes, ['tools:call'], 'accepted for its scope');
    await assert.rejects(own.verify(`Bearer ${token}`, { scopes: ['tools:read'] }), (error: unknown) => error instanceof ResourceError && error.status === 403 && error.code === 'insufficient_scope', 'the remembered token, asked for another scope: 403');
  });
});

// Grantry itself, on the embedded SQLite default or on PostgreSQL, configured as `grantry start`
// would be. Codes are minted through the real authorization endpoint by a signed-in user whose
// consent is remembered, exactly as a returning user's browser would get them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { makeConfig } from '../../src/config/config.ts';
import { defaults } from '../../src/config/defaults.ts';
import { randomToken, sha256 } from '../../src/lib/crypto.ts';
import { hashPassword } from '../../src/provider/accounts/authenticate.ts';
import { createProviderContext } from '../../src/provider/context.ts';
import { buildProviderServer } from '../../src/provider/http/server.ts';
import { registerClient } from '../../src/provider/protocol/clients.ts';
import { openStore } from '../../src/store/index.ts';
import { basic, bearer, form, formBody, pkce, redirectUri, type Material, type RunningTarget } from './types.ts';

const postgresUrl = process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function startGrantry(storeKind: 'sqlite' | 'postgres'): Promise<RunningTarget> {
  const schema = storeKind === 'postgres' ? `grantry_bench_${process.pid}` : undefined;
  const databaseUrl = storeKind === 'postgres' ? postgresUrl : `sqlite:${join(mkdtempSync(join(tmpdir(), 'grantry-bench-')), 'grantry.sqlite')}`;
  const store = await openStore(databaseUrl, { schema });
  const config = makeConfig({ secret: 'bench-secret-0123456789abcdef0123456789', port: 0, databaseUrl });
  const ctx = await createProviderContext(config, store);
  const app = await buildProviderServer(ctx);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  Object.assign(ctx.config, { issuer: url });

  const service = await registerClient(store, ctx.config, { name: 'bench service', appType: 'service' });
  const serviceOpaque = await registerClient(store, ctx.config, { name: 'bench service, opaque', appType: 'service', tokenFormat: 'opaque' });
  const web = await registerClient(store, ctx.config, { name: 'bench web', appType: 'web', redirectUris: [redirectUri] });
  const webOpaque = await registerClient(store, ctx.config, { name: 'bench web, opaque', appType: 'web', redirectUris: [redirectUri], tokenFormat: 'opaque' });
  // OpenID Connect: the same exchange with an ID token beside the access token, of each algorithm.
  const webEdDSA = await registerClient(store, ctx.config, { name: 'bench web, openid EdDSA', appType: 'web', redirectUris: [redirectUri], idTokenSignedResponseAlg: 'EdDSA' });
  const webRS256 = await registerClient(store, ctx.config, { name: 'bench web, openid RS256', appType: 'web', redirectUris: [redirectUri], idTokenSignedResponseAlg: 'RS256' });
  const user = await store.users.create({ username: 'bench', passwordHash: await hashPassword(ctx.config, randomToken(16)), displayName: 'Bench', email: 'bench@example.com' });
  const sessionId = randomToken(32);
  const now = Math.floor(Date.now() / 1000);
  await store.sessions.create({ sessionHash: sha256(sessionId), userId: user.id, createdAt: now, expiresAt: now + 86400 });
  for (const app of [web, webOpaque]) await store.consents.save(user.id, app.client.id, { scope: 'profile', redirectUris: [redirectUri], resources: [] });
  for (const app of [webEdDSA, webRS256]) await store.consents.save(user.id, app.client.id, { scope: 'openid profile', redirectUris: [redirectUri], resources: [] });
  const cookie = `${defaults.cookies.session}=${sessionId}`;

  /** One code from GET /oauth2/authorize, as the returning user's browser gets it. */
  async function mintCode(clientId: string, scope = 'profile'): Promise<string> {
    const query = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope, state: 'bench', ...(scope.includes('openid') ? { nonce: 'bench-nonce' } : {}),
      code_challenge: pkce.challenge, code_challenge_method: 'S256',
    });
    const response = await fetch(`${url}/oauth2/authorize?${query}`, { headers: { cookie }, redirect: 'manual' });
    const code = new URL(response.headers.get('location') ?? 'http://x/').searchParams.get('code');
    if (!code) throw new Error(`authorize answered ${response.status} without a code`);
    return code;
  }

  async function mintCodes(clientId: string, count: number, scope = 'profile'): Promise<string[]> {
    const codes: string[] = [];
    while (codes.length < count) {
      codes.push(...(await Promise.all(Array.from({ length: Math.min(25, count - codes.length) }, () => mintCode(clientId, scope)))));
    }
    return codes;
  }

  const codeBody = (code: string) => formBody({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pkce.verifier });

  async function exchange(client: { id: string }, secret: string): Promise<{ access_token: string; refresh_token: string }> {
    const [code] = await mintCodes(client.id, 1);
    const response = await fetch(`${url}/oauth2/token`, { method: 'POST', headers: { ...form, ...basic(client.id, secret) }, body: codeBody(code!) });
    if (response.status !== 200) throw new Error(`code exchange answered ${response.status}`);
    return (await response.json()) as { access_token: string; refresh_token: string };
  }

  async function clientToken(client: { id: string }, secret: string): Promise<string> {
    const response = await fetch(`${url}/oauth2/token`, { method: 'POST', headers: { ...form, ...basic(client.id, secret) }, body: 'grant_type=client_credentials' });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const post = (client: { id: string }, secret: string, path: string, body: string): Material =>
    ({ method: 'POST', path, headers: { ...form, ...basic(client.id, secret) }, body });

  return {
    url,
    scenarios: ['cc-jwt', 'cc-opaque', 'code', 'code-openid-eddsa', 'code-openid-rs256', 'refresh', 'introspect-jwt', 'introspect-opaque', 'me-jwt', 'me-opaque'],
    async prepare(scenario, count): Promise<Material> {
      switch (scenario) {
        case 'cc-jwt': return post(service.client, service.clientSecret!, '/oauth2/token', 'grant_type=client_credentials');
        case 'cc-opaque': return post(serviceOpaque.client, serviceOpaque.clientSecret!, '/oauth2/token', 'grant_type=client_credentials');
        case 'code':
          return { ...post(web.client, web.clientSecret!, '/oauth2/token', ''), body: undefined, bodies: (await mintCodes(web.client.id, count)).map(codeBody) };
        case 'code-openid-eddsa':
          return { ...post(webEdDSA.client, webEdDSA.clientSecret!, '/oauth2/token', ''), body: undefined, bodies: (await mintCodes(webEdDSA.client.id, count, 'openid profile')).map(codeBody) };
        case 'code-openid-rs256':
          return { ...post(webRS256.client, webRS256.clientSecret!, '/oauth2/token', ''), body: undefined, bodies: (await mintCodes(webRS256.client.id, count, 'openid profile')).map(codeBody) };
        case 'refresh': {
          const tokens: string[] = [];
          for (let i = 0; i < 60; i++) tokens.push((await exchange(web.client, web.clientSecret!)).refresh_token);
          return { ...post(web.client, web.clientSecret!, '/oauth2/token', ''), body: undefined, pool: { template: 'grant_type=refresh_token&refresh_token={token}', tokens, field: 'refresh_token' } };
        }
        case 'introspect-jwt':
          return post(service.client, service.clientSecret!, '/oauth2/introspect', `token=${await clientToken(service.client, service.clientSecret!)}`);
        case 'introspect-opaque':
          return post(serviceOpaque.client, serviceOpaque.clientSecret!, '/oauth2/introspect', `token=${await clientToken(serviceOpaque.client, serviceOpaque.clientSecret!)}`);
        case 'me-jwt': return { method: 'GET', path: '/api/me', headers: bearer((await exchange(web.client, web.clientSecret!)).access_token) };
        case 'me-opaque': return { method: 'GET', path: '/api/me', headers: bearer((await exchange(webOpaque.client, webOpaque.clientSecret!)).access_token) };
        default: throw new Error(`Grantry has no scenario ${scenario}`);
      }
    },
    async close() {
      await app.close();
      await store.close();
      if (schema) {
        const client = new pg.Client({ connectionString: postgresUrl });
        await client.connect();
        await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      }
    },
  };
}

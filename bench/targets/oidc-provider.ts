// oidc-provider 8, the peer most OAuth servers in Node are measured against, in memory (no
// database at all). Its development adapter is an LRU of 1,000 entries, which evicts a run's
// codes and their grant before they are used; the adapter below is the same Map without eviction. One resource server gives EdDSA JWT
// access tokens to the `jwt` clients and opaque ones to the others, as Grantry's two formats do.
// Codes are minted through its own models, since driving its login interactions would measure
// the harness rather than the exchange.
import type { AddressInfo } from 'node:net';
import { basic, form, formBody, pkce, redirectUri, type Material, type RunningTarget } from './types.ts';

const secret = 's'.repeat(43);
const resource = 'urn:grantry:bench';

/** oidc-provider's adapter interface over one Map per model, with expiry and nothing evicted. */
function memoryAdapter() {
  const entries = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  const byGrant = new Map<string, Set<string>>();
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    private key = (id: string) => `${this.model}:${id}`;
    async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
      entries.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      if (typeof payload.grantId === 'string') {
        const keys = byGrant.get(payload.grantId) ?? new Set();
        keys.add(this.key(id));
        byGrant.set(payload.grantId, keys);
      }
    }
    async find(id: string) {
      const entry = entries.get(this.key(id));
      if (!entry || entry.expiresAt <= Date.now()) return undefined;
      return entry.payload;
    }
    async findByUid(uid: string) {
      for (const { payload } of entries.values()) if (payload.uid === uid) return payload;
      return undefined;
    }
    async findByUserCode(userCode: string) {
      for (const { payload } of entries.values()) if (payload.userCode === userCode) return payload;
      return undefined;
    }
    async consume(id: string) {
      const entry = entries.get(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      entries.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
      byGrant.delete(grantId);
    }
  };
}

export async function startOidcProvider(): Promise<RunningTarget> {
  // @ts-expect-error oidc-provider ships no type declarations
  const { default: Provider } = await import('oidc-provider');
  const { generateKeyPair, exportJWK } = await import('jose');
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const client = (id: string, grants: string[]) => ({
    client_id: id, client_secret: secret, grant_types: grants, redirect_uris: grants.includes('authorization_code') ? [redirectUri] : [],
    response_types: grants.includes('authorization_code') ? ['code'] : [], id_token_signed_response_alg: 'EdDSA',
  });
  const provider = new Provider('http://127.0.0.1', {
    adapter: memoryAdapter(),
    clients: [
      client('cc-jwt', ['client_credentials']),
      client('cc-opaque', ['client_credentials']),
      client('web-jwt', ['authorization_code', 'refresh_token']),
    ],
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, _resource: string, c: { clientId: string }) => ({
          scope: 'api',
          accessTokenTTL: 3600,
          ...(c.clientId.endsWith('-jwt') ? { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'EdDSA' } } } : { accessTokenFormat: 'opaque' }),
        }),
      },
    },
    // Refresh tokens rotate on every use, as Grantry's do.
    rotateRefreshToken: true,
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'EdDSA' }] },
    cookies: { keys: ['bench-cookie-key-0123456789'] },
    ttl: { ClientCredentials: 3600, AccessToken: 3600, AuthorizationCode: 600, RefreshToken: 86400, Grant: 86400 },
  });
  const server = provider.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function mintCodes(count: number): Promise<string[]> {
    const webClient = await provider.Client.find('web-jwt');
    const grant = new provider.Grant({ accountId: 'bench-user', clientId: 'web-jwt' });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(resource, 'api');
    const grantId = await grant.save();
    const codes: string[] = [];
    for (let i = 0; i < count; i++) {
      const code = new provider.AuthorizationCode({
        accountId: 'bench-user', client: webClient, grantId, redirectUri, scope: 'openid offline_access api', resource,
        codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', expiresWithSession: false,
      });
      codes.push(await code.save());
    }
    return codes;
  }

  const codeBody = (code: string) => formBody({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pkce.verifier });
  const token = (id: string, body: string): Material => ({ method: 'POST', path: '/token', headers: { ...form, ...basic(id, secret) }, body });

  return {
    url,
    scenarios: ['cc-jwt', 'cc-opaque', 'code', 'refresh', 'introspect-opaque'],
    async prepare(scenario, count) {
      switch (scenario) {
        case 'cc-jwt': return token('cc-jwt', 'grant_type=client_credentials&scope=api');
        case 'cc-opaque': return token('cc-opaque', 'grant_type=client_credentials&scope=api');
        case 'code': return { ...token('web-jwt', ''), body: undefined, bodies: (await mintCodes(count)).map(codeBody) };
        case 'refresh': {
          const tokens: string[] = [];
          for (const code of await mintCodes(60)) {
            const response = await fetch(`${url}/token`, { method: 'POST', headers: { ...form, ...basic('web-jwt', secret) }, body: codeBody(code) });
            const body = (await response.json()) as { refresh_token?: string; error?: string };
            if (!body.refresh_token) throw new Error(`oidc-provider gave no refresh token: ${JSON.stringify(body)}`);
            tokens.push(body.refresh_token);
          }
          return { ...token('web-jwt', ''), body: undefined, pool: { template: 'grant_type=refresh_token&refresh_token={token}', tokens, field: 'refresh_token' } };
        }
        case 'introspect-opaque': {
          const response = await fetch(`${url}/token`, { method: 'POST', headers: { ...form, ...basic('cc-opaque', secret) }, body: 'grant_type=client_credentials&scope=api' });
          const { access_token } = (await response.json()) as { access_token: string };
          return { method: 'POST', path: '/token/introspection', headers: { ...form, ...basic('cc-opaque', secret) }, body: `token=${access_token}` };
        }
        default: throw new Error(`oidc-provider has no scenario ${scenario}`);
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

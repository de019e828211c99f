// @node-oauth/oauth2-server 5 on Express, the other common choice in Node, with an in-memory model
// (its tokens are opaque random strings). Codes are placed in the model directly: the library
// leaves the authorization page to its user.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import OAuth2Server from '@node-oauth/oauth2-server';
import { basic, bearer, form, formBody, pkce, redirectUri, type Material, type RunningTarget } from './types.ts';

const secret = 's'.repeat(43);

interface Token { accessToken: string; accessTokenExpiresAt?: Date; refreshToken?: string; refreshTokenExpiresAt?: Date; scope?: string[]; client: Client; user: object }
interface Client { id: string; grants: string[]; redirectUris: string[] }
interface Code { authorizationCode: string; expiresAt: Date; redirectUri: string; scope: string[]; client: Client; user: object; codeChallenge: string; codeChallengeMethod: string }

export async function startOauth2Server(): Promise<RunningTarget> {
  const clients = new Map<string, Client>([
    ['service', { id: 'service', grants: ['client_credentials'], redirectUris: [] }],
    ['web', { id: 'web', grants: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri] }],
  ]);
  const accessTokens = new Map<string, Token>();
  const refreshTokens = new Map<string, Token>();
  const codes = new Map<string, Code>();
  const user = { id: 'bench-user' };

  const model = {
    getClient: async (id: string, clientSecret: string | null) => (clientSecret === secret ? clients.get(id) : undefined),
    getUserFromClient: async () => user,
    saveToken: async (token: Token, client: Client, owner: object) => {
      const saved = { ...token, client, user: owner };
      accessTokens.set(token.accessToken, saved);
      if (token.refreshToken) refreshTokens.set(token.refreshToken, saved);
      return saved;
    },
    getAccessToken: async (token: string) => accessTokens.get(token),
    getAuthorizationCode: async (code: string) => codes.get(code),
    revokeAuthorizationCode: async (code: Code) => codes.delete(code.authorizationCode),
    getRefreshToken: async (token: string) => refreshTokens.get(token),
    revokeToken: async (token: Token) => refreshTokens.delete(token.refreshToken!),
    validateScope: async (_user: object, _client: Client, scope?: string[]) => scope ?? ['profile'],
    verifyScope: async () => true,
  };
  const oauth = new OAuth2Server({ model, accessTokenLifetime: 3600, refreshTokenLifetime: 86400, allowEmptyState: true });

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.post('/token', async (req, res) => {
    const response = new OAuth2Server.Response(res);
    try {
      await oauth.token(new OAuth2Server.Request(req), response);
    } catch (error) {
      res.status((error as { code?: number }).code ?? 500).json({ error: (error as { name?: string }).name });
      return;
    }
    res.set(response.headers).status(response.status ?? 200).json(response.body);
  });
  app.get('/me', async (req, res) => {
    try {
      const token = await oauth.authenticate(new OAuth2Server.Request(req), new OAuth2Server.Response(res));
      res.json({ id: (token.user as { id: string }).id });
    } catch (error) {
      res.status((error as { code?: number }).code ?? 500).json({ error: (error as { name?: string }).name });
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function mintCodes(count: number): string[] {
    return Array.from({ length: count }, () => {
      const authorizationCode = randomBytes(32).toString('hex');
      codes.set(authorizationCode, {
        authorizationCode, expiresAt: new Date(Date.now() + 600_000), redirectUri, scope: ['profile'], client: clients.get('web')!, user,
        codeChallenge: pkce.challenge, codeChallengeMethod: 'S256',
      });
      return authorizationCode;
    });
  }
  const codeBody = (code: string) => formBody({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pkce.verifier });
  const token = (id: string, body: string): Material => ({ method: 'POST', path: '/token', headers: { ...form, ...basic(id, secret) }, body });
  async function exchange(): Promise<{ access_token: string; refresh_token: string }> {
    const response = await fetch(`${url}/token`, { method: 'POST', headers: { ...form, ...basic('web', secret) }, body: codeBody(mintCodes(1)[0]!) });
    return (await response.json()) as { access_token: string; refresh_token: string };
  }

  return {
    url,
    scenarios: ['cc-opaque', 'code', 'refresh', 'me-opaque'],
    async prepare(scenario, count) {
      switch (scenario) {
        case 'cc-opaque': return token('service', 'grant_type=client_credentials');
        case 'code': return { ...token('web', ''), body: undefined, bodies: mintCodes(count).map(codeBody) };
        case 'refresh': {
          const tokens: string[] = [];
          for (let i = 0; i < 60; i++) tokens.push((await exchange()).refresh_token);
          return { ...token('web', ''), body: undefined, pool: { template: 'grant_type=refresh_token&refresh_token={token}', tokens, field: 'refresh_token' } };
        }
        case 'me-opaque': return { method: 'GET', path: '/me', headers: bearer((await exchange()).access_token) };
        default: throw new Error(`oauth2-server has no scenario ${scenario}`);
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

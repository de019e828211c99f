// Shared by the protocol unit tests: a provider context over the memory store (no HTTP, no SQL),
// apps registered as the console registers them, people, and codes made as the authorization
// endpoint makes them.
import type { RedirectingRequest } from '../../src/provider/protocol/authorization.ts';
import { randomUUID } from 'node:crypto';
import { makeConfig, type ConfigOverrides, type GrantryConfig } from '../../src/config/config.ts';
import { s256 } from '../../src/lib/crypto.ts';
import { createProviderContext, type ProviderContext } from '../../src/provider/context.ts';
import { checkAuthorizationRequest, type AuthorizationRequest } from '../../src/provider/protocol/checks/index.ts';
import { registerClient, type Registration } from '../../src/provider/protocol/clients.ts';
import { authorizationCodeGrant } from '../../src/provider/protocol/grants/authorization-code.ts';
import type { AuthorizationParameters, Client, ProviderStore, User } from '../../src/provider/storage.ts';
import { memoryStore } from '../helpers/memory-store.ts';
import { basic } from '../helpers/basic.ts';

export const issuer = 'http://localhost:3000';
export const redirectUri = 'https://app.example/callback';
/** RFC 7636 appendix B's verifier; its S256 challenge is `challenge`. */
export const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
export const challenge = s256(verifier);

export interface Provider {
  config: GrantryConfig;
  store: ProviderStore;
  ctx: ProviderContext;
}

/**
 * A provider context on a fresh memory store, or on a given one (another configuration over the
 * same data). Argon2 is made cheap: these tests are about the protocol, not the hash.
 */
export async function provider(overrides: Omit<ConfigOverrides, 'secret'> = {}, store: ProviderStore = memoryStore()): Promise<Provider> {
  const config = makeConfig({ secret: 'x'.repeat(40), argon2: { memoryCost: 1024, timeCost: 1 }, ...overrides });
  return { config, store, ctx: await createProviderContext(config, store) };
}

/** An app registered through the registration rules, a web app with one redirect URI unless told otherwise. */
export async function app({ config, store }: Provider, registration: Partial<Registration> = {}): Promise<{ client: Client; clientSecret: string | null }> {
  return registerClient(store, config, { name: 'Test app', appType: 'web', redirectUris: [redirectUri], ...registration });
}

let people = 0;
export async function person({ store }: Provider): Promise<User> {
  people++;
  return store.users.create({ username: `person${people}-${randomUUID().slice(0, 8)}`, passwordHash: 'not used by these tests', displayName: `Person ${people}`, email: null });
}

/** RFC 6749 §2.3.1's Basic credentials. */
export const basicAuth = basic;

/** A code request (PKCE, S256) that passed the checks, as the authorization endpoint holds it once the person allowed. */
export async function checkedCodeRequest(ctx: ProviderContext, client: Client, params: AuthorizationParameters = {}): Promise<RedirectingRequest> {
  const outcome = await checkAuthorizationRequest(ctx, 'authorize', {
    response_type: 'code',
    client_id: client.id,
    redirect_uri: redirectUri,
    scope: 'profile email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'xyz',
    ...params,
  });
  if (outcome.outcome !== 'valid') throw new Error(`the code request did not pass its checks: ${JSON.stringify(outcome)}`);
  // The authorization endpoint's checks establish both: the request is a redirecting one.
  return outcome.request as RedirectingRequest;
}

/** A code issued through the authorization_code grant's own authorization part. */
export async function issueCode(ctx: ProviderContext, client: Client, user: User, authTime: number, params: AuthorizationParameters = {}): Promise<string> {
  const request = await checkedCodeRequest(ctx, client, params);
  const response = await authorizationCodeGrant.authorization!.respond(ctx, { request, user, signIn: { authTime, sid: 'session-a', amr: ['pwd'] } });
  return String(response.params.code);
}

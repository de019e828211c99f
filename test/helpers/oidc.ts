import * as client from 'openid-client';
import { consentDecision, TestBrowser } from './browser.ts';
import type { RunningProvider } from './provider.ts';
import { signIn } from './session.ts';

// openid-client (panva's certified relying-party library) pointed at a test provider: the
// configuration from discovery, and a person's whole login through it, for the OpenID tests.

/** An app's openid-client configuration, from the provider's discovery document (plain http on loopback allowed). */
export function discover(provider: RunningProvider, clientId: string, clientSecret?: string, metadata?: Partial<client.ClientMetadata>): Promise<client.Configuration> {
  const auth = clientSecret === undefined ? client.None() : client.ClientSecretBasic(clientSecret);
  return client.discovery(new URL(provider.url), clientId, metadata, auth, { execute: [client.allowInsecureRequests] });
}

/**
 * A person signed in on a browser of their own logs in to the app with openid: the authorization
 * request (PKCE), consent allowed when asked, and the code redeemed (the ID token validated).
 */
export async function openidLogin(provider: RunningProvider, config: client.Configuration, options: { redirectUri: string; scope?: string; user?: Awaited<ReturnType<RunningProvider['createUser']>>; browser?: TestBrowser }) {
  const user = options.user ?? (await provider.createUser());
  const browser = options.browser ?? new TestBrowser(provider.url);
  if (!options.browser) await signIn(provider, browser, user);
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: options.redirectUri, scope: options.scope ?? 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const page = await browser.get(`${url.pathname}${url.search}`);
  const back = page.status === 200 ? (await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'))).location! : page.location!;
  const tokens = await client.authorizationCodeGrant(config, new URL(back), { pkceCodeVerifier: verifier, idTokenExpected: true });
  return { user, browser, tokens, idToken: tokens.id_token! };
}

/**
 * A person signed in on a fresh browser authorizes the app with `resource` repeated as given
 * (RFC 8707), allowing on the consent page when it is shown (a remembered consent answers at once).
 * Returns where they were sent back, the PKCE verifier for the exchange, the consent page ('' when
 * none), and the token request's `resource` parameters for `tokenResources`.
 */
export async function authorizeWithResources(
  provider: RunningProvider,
  config: client.Configuration,
  user: Awaited<ReturnType<RunningProvider['createUser']>>,
  options: { callback: string; scope: string; resources: string[]; tokenResources?: string[] },
) {
  const browser = new TestBrowser(provider.url);
  await signIn(provider, browser, user);
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: options.callback, scope: options.scope, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  for (const resource of options.resources) url.searchParams.append('resource', resource);
  const page = await browser.get(`${url.pathname}${url.search}`);
  const back = page.status === 200 ? (await browser.post('/oauth2/authorize', consentDecision(page.text, 'allow'))).location! : page.location!;
  if (!back?.startsWith(options.callback)) throw new Error(`not sent back to the app: ${page.status} ${back ?? page.text.slice(0, 300)}`);
  const parameters = new URLSearchParams();
  for (const resource of options.tokenResources ?? []) parameters.append('resource', resource);
  return { back: new URL(back), verifier, consent: page.status === 200 ? page.text : '', parameters };
}

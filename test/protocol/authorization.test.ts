import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { sha256 } from '../../src/lib/crypto.ts';
import {
  beginAuthorization,
  continueAuthorization,
  decideAuthorization,
  type AuthorizationInput,
  type AuthorizationStep,
  type SignedIn,
} from '../../src/provider/protocol/authorization.ts';
import { unredirectable } from '../../src/provider/protocol/checks/index.ts';
import type { AuthorizationParameters, Client, RememberedConsent, User } from '../../src/provider/storage.ts';
import { rowCount } from '../helpers/memory-store.ts';
import { app, challenge, issuer, person, provider, redirectUri, type Provider } from './fixtures.ts';

// The authorization endpoint without HTTP: a request is answered at once for a person who already
// allowed it, or stored, bound to the browser, and taken up again after login and consent, once.
// The browser and its session are fakes: `signedIn` is whoever the test says is signed in.

const browserA = 'PlO-qOfP1NpxfQTc6FZICvrkNqsZVujCUYwbP9xeKB0';
const browserB = 'WqC8SnA5AuWjVfi9Rv-VldMCLmkmLsKPlpYnt0Ds95o';
const now = () => Math.floor(Date.now() / 1000);

let p: Provider;
let web: Client;
let user: User;

beforeEach(async () => {
  p = await provider();
  web = (await app(p)).client;
  user = await person(p);
});

/** This browser, with this person signed in (or nobody). */
function browser(session: Omit<SignedIn, 'user' | 'sessionHash' | 'amr'> | null, id = browserA): AuthorizationInput {
  return { signedIn: async () => (session ? { user, sessionHash: 'session-a', amr: ['pwd'], ...session } : null), browserId: () => id };
}

/** What a person allowed before: these scopes, for the registered redirect URI unless told otherwise. */
const remembered = (scope: string, redirectUris = [redirectUri]): RememberedConsent => ({ scope, redirectUris, resources: [] });
const signedInJustNow = (scope?: string, redirectUris?: string[]) => ({ authTime: now(), consent: scope === undefined ? undefined : remembered(scope, redirectUris) });

const params = (extra: AuthorizationParameters = {}): AuthorizationParameters => ({
  response_type: 'code',
  client_id: web.id,
  redirect_uri: redirectUri,
  scope: 'profile email',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  state: 'xyz',
  ...extra,
});

function stepOf<S extends AuthorizationStep['step']>(step: AuthorizationStep, expected: S): Extract<AuthorizationStep, { step: S }> {
  assert.equal(step.step, expected, `the step: ${JSON.stringify(step)}`);
  return step as Extract<AuthorizationStep, { step: S }>;
}

/** The parameters of a redirect, from its query or fragment. */
function answered(location: string): { at: string; query: Record<string, string>; fragment: Record<string, string> } {
  const url = new URL(location);
  return {
    at: `${url.origin}${url.pathname}`,
    query: Object.fromEntries(url.searchParams),
    fragment: Object.fromEntries(new URLSearchParams(url.hash.slice(1))),
  };
}

describe('a stranger', () => {
  test('is sent to log in, and the request is stored for this browser, its parameters sealed', async () => {
    const { requestId } = stepOf(await beginAuthorization(p.ctx, params({ state: 'a-state-that-stays-sealed' }), browser(null)), 'login');
    assert.match(requestId, /^[A-Za-z0-9_-]{43}$/, 'the handle is 32 random bytes, base64url');
    assert.equal(rowCount(p.store, 'requests'), 1, 'one request is stored');
    const stored = await p.store.requests.find(sha256(requestId));
    assert.deepEqual(
      stored && { clientId: stored.clientId, browserHash: stored.browserHash, lifetime: stored.expiresAt - stored.createdAt, userId: stored.userId, completedAt: stored.completedAt },
      { clientId: web.id, browserHash: sha256(browserA), lifetime: 1800, userId: null, completedAt: null },
      'found by the hash of its handle, bound to the hash of the browser id, for half an hour, undecided',
    );
    assert.equal(stored?.sealedParameters.includes('a-state-that-stays-sealed'), false, 'the state is not readable in the store');
  });

  test('who comes back still signed out is sent to log in again', async () => {
    const { requestId } = stepOf(await beginAuthorization(p.ctx, params(), browser(null)), 'login');
    assert.deepEqual(await continueAuthorization(p.ctx, requestId, browser(null)), { step: 'login', requestId }, 'the same request waits');
  });

  test('cannot continue the request from another browser', async () => {
    const { requestId } = stepOf(await beginAuthorization(p.ctx, params(), browser(null)), 'login');
    const elsewhere = await continueAuthorization(p.ctx, requestId, browser(signedInJustNow(), browserB));
    assert.deepEqual(elsewhere, { step: 'error_page', description: unredirectable.request_unknown }, 'a leaked handle is of no use in another browser');
  });

  test('cannot continue a request that does not exist, or a handle that could not be one', async () => {
    for (const requestId of ['A'.repeat(43), 'short', '']) {
      const step = await continueAuthorization(p.ctx, requestId, browser(signedInJustNow()));
      assert.deepEqual(step, { step: 'error_page', description: unredirectable.request_unknown }, `"${requestId}" finds nothing`);
    }
  });
});

describe('the consent decision', () => {
  async function waitingForConsent(extra: AuthorizationParameters = {}): Promise<string> {
    const { requestId } = stepOf(await beginAuthorization(p.ctx, params(extra), browser(null)), 'login');
    const consent = stepOf(await continueAuthorization(p.ctx, requestId, browser(signedInJustNow())), 'consent');
    assert.deepEqual([consent.requestId, consent.user.id, consent.request.scope], [requestId, user.id, ['profile', 'email']], 'after login, the person is asked about the stored request');
    return requestId;
  }

  test('allow redirects to the app with code, state and iss, and remembers the consent', async () => {
    const requestId = await waitingForConsent();
    const decided = await decideAuthorization(p.ctx, requestId, { ...browser(signedInJustNow()), allow: true });
    const { at, query } = answered(stepOf(decided, 'redirect').location);
    assert.equal(at, redirectUri, 'to the registered redirect URI');
    assert.deepEqual(Object.keys(query).sort(), ['code', 'iss', 'state'], 'a code, the state and the issuer (RFC 9207), nothing else');
    assert.match(query.code!, /^[A-Za-z0-9_-]{43}$/, 'the code is 32 random bytes, base64url');
    assert.deepEqual([query.state, query.iss], ['xyz', issuer], 'the state echoed; the issuer named');
    assert.equal(decided.approved?.client.id, web.id, 'the approved request is handed back, for the audit trail');
    assert.deepEqual(await p.store.consents.find(user.id, web.id), remembered('profile email'), 'the consent is remembered, for the redirect URI it was given to');
    const stored = await p.store.requests.find(sha256(requestId));
    assert.deepEqual([stored?.userId, typeof stored?.completedAt], [user.id, 'number'], 'the request is marked decided, by this person');
  });

  test('a decision sent twice is answered once', async () => {
    const requestId = await waitingForConsent();
    stepOf(await decideAuthorization(p.ctx, requestId, { ...browser(signedInJustNow()), allow: true }), 'redirect');
    const again = await decideAuthorization(p.ctx, requestId, { ...browser(signedInJustNow()), allow: true });
    assert.deepEqual(again, { step: 'error_page', description: unredirectable.request_unknown }, 'the second form finds the request answered');
    const continued = await continueAuthorization(p.ctx, requestId, browser(signedInJustNow()));
    assert.deepEqual(continued, { step: 'error_page', description: unredirectable.request_unknown }, 'and so does a return from login');
  });

  test('two decisions sent at once (two tabs) are answered once', async () => {
    const requestId = await waitingForConsent();
    const steps = await Promise.all([true, false].map((allow) => decideAuthorization(p.ctx, requestId, { ...browser(signedInJustNow()), allow })));
    assert.deepEqual(steps.map((step) => step.step).sort(), ['error_page', 'redirect'], 'one decision wins; the other finds the request answered');
  });

  test('deny redirects with access_denied, the state and iss, and remembers nothing', async () => {
    const requestId = await waitingForConsent();
    const decided = await decideAuthorization(p.ctx, requestId, { ...browser(signedInJustNow()), allow: false });
    const { at, query } = answered(stepOf(decided, 'redirect').location);
    assert.deepEqual(
      { at, ...query },
      { at: redirectUri, error: 'access_denied', error_description: 'the user denied the request', state: 'xyz', iss: issuer },
      'the error of RFC 6749 §4.1.2.1, in the query',
    );
    assert.equal(decided.approved, undefined, 'nothing was approved');
    assert.equal(await p.store.consents.find(user.id, web.id), undefined, 'no consent is remembered');
  });

  test('a decision by someone signed out sends them to log in, and leaves the request waiting', async () => {
    const requestId = await waitingForConsent();
    assert.deepEqual(await decideAuthorization(p.ctx, requestId, { ...browser(null), allow: true }), { step: 'login', requestId }, 'log in first');
    stepOf(await decideAuthorization(p.ctx, requestId, { ...browser(signedInJustNow()), allow: true }), 'redirect');
  });

  test('an implicit request, allowed, answers with a token in the fragment and no refresh token', async () => {
    const spa = (await app(p, { appType: 'spa', redirectUris: ['https://spa.example/cb'], grantTypes: ['authorization_code', 'refresh_token', 'implicit'] })).client;
    const { requestId } = stepOf(await beginAuthorization(p.ctx, { response_type: 'token', client_id: spa.id, state: 'frag' }, browser(null)), 'login');
    stepOf(await continueAuthorization(p.ctx, requestId, browser(signedInJustNow())), 'consent');
    const decided = await decideAuthorization(p.ctx, requestId, { ...browser(signedInJustNow()), allow: true });
    const { at, query, fragment } = answered(stepOf(decided, 'redirect').location);
    assert.deepEqual([at, Object.keys(query)], ['https://spa.example/cb', []], 'nothing in the query');
    assert.deepEqual(
      Object.keys(fragment),
      ['access_token', 'token_type', 'expires_in', 'scope', 'state', 'iss'],
      'the token of RFC 6749 §4.2.2 in the fragment: no refresh token, no uid',
    );
    assert.deepEqual([fragment.expires_in, fragment.state, fragment.iss], ['900', 'frag', issuer], 'the short implicit lifetime; state and issuer');
  });
});

describe('a returning person', () => {
  test('who allowed the app before is redirected at once, and nothing is stored', async () => {
    await p.store.consents.save(user.id, web.id, remembered('profile email'));
    const step = await beginAuthorization(p.ctx, params(), browser(signedInJustNow('profile email')));
    const { query } = answered(stepOf(step, 'redirect').location);
    assert.deepEqual([typeof query.code, query.state, query.iss], ['string', 'xyz', issuer], 'a code, at once');
    assert.equal(rowCount(p.store, 'requests'), 0, 'no request row was written');
  });

  test('who allowed less than is asked is asked again', async () => {
    const step = await beginAuthorization(p.ctx, params(), browser(signedInJustNow('profile')));
    const consent = stepOf(step, 'consent');
    assert.deepEqual(consent.request.scope, ['profile', 'email'], 'the consent page shows what is asked');
    assert.equal(rowCount(p.store, 'requests'), 1, 'the request waits for the decision');
  });

  test('is asked again when the app sends prompt=consent', async () => {
    stepOf(await beginAuthorization(p.ctx, params({ prompt: 'consent' }), browser(signedInJustNow('profile email'))), 'consent');
  });

  test('with prompt=login must sign in again: a sign-in older than the request does not count', async () => {
    const earlier = { authTime: now() - 3600, consent: remembered('profile email') };
    const { requestId } = stepOf(await beginAuthorization(p.ctx, params({ prompt: 'login' }), browser(earlier)), 'login');
    assert.deepEqual(await continueAuthorization(p.ctx, requestId, browser(earlier)), { step: 'login', requestId }, 'the old sign-in is not enough');
    const fresh = await continueAuthorization(p.ctx, requestId, browser(signedInJustNow('profile email')));
    const { query } = answered(stepOf(fresh, 'redirect').location);
    assert.equal(query.state, 'xyz', 'a sign-in made after the request answers it, with the consent remembered');
  });

  // continueAuthorization holds a prompt=login request until a sign-in newer than the request; the
  // consent form, posted with the id from the login redirect, must not skip that sign-in.
  test('with prompt=login cannot skip the fresh sign-in by sending the consent form', async () => {
    const earlier = { authTime: now() - 3600, consent: undefined };
    const { requestId } = stepOf(await beginAuthorization(p.ctx, params({ prompt: 'login' }), browser(earlier)), 'login');
    const decided = await decideAuthorization(p.ctx, requestId, { ...browser(earlier), allow: true });
    assert.deepEqual(decided, { step: 'login', requestId }, 'a sign-in older than the request is sent to log in again, as continueAuthorization does');
  });
});

// Issue 13, finding 4: a remembered consent is bound to the redirect URI it was given for, so a
// redirect URI added later — by the owner, or by whoever took over the owner's console — asks again.
describe('a remembered consent and the redirect URI', () => {
  const added = 'https://evil.example/steal';

  test('a redirect URI added since the consent asks again, and the answer is remembered for both', async () => {
    await p.store.clients.update(web.id, { redirectUris: [redirectUri, added] });
    const step = await beginAuthorization(p.ctx, params({ redirect_uri: added }), browser(signedInJustNow('profile email')));
    const consent = stepOf(step, 'consent');
    assert.equal(consent.confirmOnly, false, 'the whole consent page, not a confirmation: the person never allowed this address');
    stepOf(await decideAuthorization(p.ctx, consent.requestId, { ...browser(signedInJustNow('profile email')), allow: true }), 'redirect');
    assert.deepEqual(await p.store.consents.find(user.id, web.id), remembered('profile email', [redirectUri, added]), 'what is remembered names both URIs, the first kept');
  });

  test('the redirect URI the consent was given for still answers at once', async () => {
    await p.store.clients.update(web.id, { redirectUris: [redirectUri, added] });
    stepOf(await beginAuthorization(p.ctx, params(), browser(signedInJustNow('profile email'))), 'redirect');
  });

  test('a consent remembered before redirect URIs were (migration 010) holds for none', async () => {
    stepOf(await beginAuthorization(p.ctx, params(), browser(signedInJustNow('profile email', []))), 'consent');
  });
});

// Issue 13, finding 3: a public app proves nothing but its client_id, which any program on the
// device can send (RFC 8252 §8.6, RFC 6749 §10.2): remembered consent never skips the page for it.
describe('a returning person and a public app', () => {
  const loopback = 'http://127.0.0.1/callback';
  async function nativeApp(registration: Partial<Parameters<typeof app>[1]> = {}) {
    const { client } = await app(p, { appType: 'native', redirectUris: [loopback], ...registration });
    await p.store.consents.save(user.id, client.id, remembered('profile email', [loopback]));
    return client;
  }
  const nativeParams = (client: Client, port: number) => params({ client_id: client.id, redirect_uri: `http://127.0.0.1:${port}/callback` });

  test('a native app allowed before is not answered at once: another program on another port gets a one-click confirmation', async () => {
    const native = await nativeApp();
    const step = await beginAuthorization(p.ctx, nativeParams(native, 49152), browser(signedInJustNow('profile email', [loopback])));
    const confirm = stepOf(step, 'consent');
    assert.equal(confirm.confirmOnly, true, 'a confirmation naming the app, not the whole consent page: the consent is remembered');
    assert.equal(rowCount(p.store, 'requests'), 1, 'the request waits for the click');
  });

  test('the confirmation, clicked, answers with a code and writes no consent', async () => {
    const native = await nativeApp();
    const consent = remembered('profile email', [loopback]);
    const { requestId } = stepOf(await beginAuthorization(p.ctx, nativeParams(native, 50000), browser({ authTime: now(), consent })), 'consent');
    const before = await p.store.consents.find(user.id, native.id);
    const decided = await decideAuthorization(p.ctx, requestId, { ...browser({ authTime: now(), consent }), allow: true });
    const { at, query } = answered(stepOf(decided, 'redirect').location);
    assert.deepEqual([at, typeof query.code], ['http://127.0.0.1:50000/callback', 'string'], 'a code, to the loopback port the request named');
    assert.deepEqual(await p.store.consents.find(user.id, native.id), before, 'the remembered consent is unchanged');
  });

  test('after login, too, a native app allowed before is confirmed, not answered', async () => {
    const native = await nativeApp();
    const { requestId } = stepOf(await beginAuthorization(p.ctx, nativeParams(native, 50001), browser(null)), 'login');
    const step = await continueAuthorization(p.ctx, requestId, browser(signedInJustNow('profile email', [loopback])));
    assert.equal(stepOf(step, 'consent').confirmOnly, true, 'the confirmation, after login');
  });

  test('a single-page app allowed before is confirmed too', async () => {
    const { client: spa } = await app(p, { appType: 'spa', redirectUris: ['https://spa.example/cb'] });
    const step = await beginAuthorization(p.ctx, params({ client_id: spa.id, redirect_uri: 'https://spa.example/cb' }), browser(signedInJustNow('profile email', ['https://spa.example/cb'])));
    assert.equal(stepOf(step, 'consent').confirmOnly, true, 'a spa is public too');
  });

  test('an operator can let a public app return silently (silentReturning)', async () => {
    const native = await nativeApp({ silentReturning: true });
    stepOf(await beginAuthorization(p.ctx, nativeParams(native, 50002), browser(signedInJustNow('profile email', [loopback]))), 'redirect');
  });

  test('a confidential app allowed before is answered at once: its secret proves who asks', async () => {
    stepOf(await beginAuthorization(p.ctx, params(), browser(signedInJustNow('profile email'))), 'redirect');
  });
});

describe('a request that fails its checks', () => {
  test('with an unknown client is shown on an error page, never redirected', async () => {
    const step = await beginAuthorization(p.ctx, params({ client_id: 'no-such-app' }), browser(null));
    assert.deepEqual(step, { step: 'error_page', description: unredirectable.client_unknown }, 'the page says why');
  });

  test('with a known redirect URI is answered there, before anyone logs in', async () => {
    const step = await beginAuthorization(p.ctx, params({ scope: 'admin' }), browser(null));
    const { at, query } = answered(stepOf(step, 'redirect').location);
    assert.deepEqual([at, query.error, query.state, query.iss], [redirectUri, 'invalid_scope', 'xyz', issuer], 'invalid_scope in the query');
    assert.equal(rowCount(p.store, 'requests'), 0, 'nothing is stored');
  });
});

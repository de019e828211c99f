import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, test } from 'node:test';
import { readImplicitResponse, startImplicitLogin, type BrowserEnv } from '../../src/connect/adapters/browser.js';

// The browser module, in a stand-in window: what it writes to the address bar and history matters.

function fakeWindow(): BrowserEnv & { assigned: string[]; replaced: string[]; store: Map<string, string> } {
  const store = new Map<string, string>();
  const win = {
    assigned: [] as string[],
    replaced: [] as string[],
    store,
    location: { hash: '', search: '?tab=1', pathname: '/app', assign: (url: string) => win.assigned.push(url) },
    history: { state: null, replaceState: (_s: unknown, _u: string, url: string) => { win.replaced.push(url); win.location.hash = ''; } },
    sessionStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) },
    crypto: webcrypto as unknown as BrowserEnv['crypto'],
  };
  return win;
}

describe('browser module: implicit flow', () => {
  test('reads the token, checks state, clears the fragment', () => {
    const win = fakeWindow();
    startImplicitLogin({ authorizationEndpoint: 'https://id.example/authorize', clientId: 'spa', redirectUri: 'https://app.example/app', env: win });
    const sent = new URL(win.assigned[0]!);
    assert.equal(sent.searchParams.get('response_type'), 'token', 'the browser is sent to the authorization endpoint asking for a token (implicit flow)');
    const state = sent.searchParams.get('state')!;
    win.location.hash = `#access_token=AT&token_type=Bearer&expires_in=900&state=${state}`;
    const response = readImplicitResponse({ env: win })!;
    assert.equal(response.accessToken, 'AT', 'the access token is read from the fragment');
    assert.deepEqual(win.replaced, ['/app?tab=1'], 'the fragment is cleared from the address bar with history.replaceState, keeping path and query');
    assert.equal(win.location.hash, '', 'no token is left in location.hash');
    // Used once: the same response again is refused.
    win.location.hash = `#access_token=AT&state=${state}`;
    assert.throws(() => readImplicitResponse({ env: win }), /state mismatch/, 'the same response read a second time is refused: the state is used once');
  });

  test('a response this tab did not ask for is refused, and its token still cleared from the address bar', () => {
    const win = fakeWindow();
    win.location.hash = '#access_token=INJECTED&state=forged';
    assert.throws(() => readImplicitResponse({ env: win }), /state mismatch/, 'a response with a state this tab did not store is refused');
    assert.deepEqual(win.replaced, ['/app?tab=1'], 'the injected token is still cleared from the address bar');
    assert.equal(readImplicitResponse({ env: fakeWindow() }), null, 'with no fragment there is no implicit response');
  });
});

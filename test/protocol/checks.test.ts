import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { checkAuthorizationRequest, unredirectable } from '../../src/provider/protocol/checks/index.ts';
import { OAuthError } from '../../src/provider/protocol/errors.ts';
import type { Client } from '../../src/provider/storage.ts';
import { app, challenge, provider, redirectUri, type Provider } from './fixtures.ts';

// The chain of authorization-request checks, run directly: where each error may go (never to a
// redirect URI not yet known good), in which response mode, and which parameters a valid request
// keeps. Which checks run depends on the endpoint that asks.

let p: Provider;
let web: Client;
let spa: Client;
let twoUris: Client;

before(async () => {
  p = await provider();
  web = (await app(p)).client;
  spa = (await app(p, { appType: 'spa', redirectUris: ['https://spa.example/cb'], grantTypes: ['authorization_code', 'implicit'] })).client;
  twoUris = (await app(p, { redirectUris: ['https://two.example/a', 'https://two.example/b'] })).client;
});

const codeParams = (client: Client, extra: Record<string, string | string[]> = {}) => ({
  response_type: 'code',
  client_id: client.id,
  redirect_uri: redirectUri,
  code_challenge: challenge,
  code_challenge_method: 'S256',
  state: 'xyz',
  ...extra,
});

describe('errors before the client and its redirect URI are known good', () => {
  test('an unknown client is unredirectable, as invalid_client', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams({ ...web, id: 'no-such-app' }));
    assert.ok(outcome.outcome === 'unredirectable', `nobody to send the error to: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.error.description, unredirectable.client_unknown, 'the reason says the app is unknown');
    assert.equal(outcome.error.code, 'invalid_client', 'and its code is invalid_client');
  });

  test('a request without client_id is unredirectable', async () => {
    const { client_id: _omitted, ...params } = codeParams(web);
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', params);
    assert.deepEqual(outcome.outcome === 'unredirectable' && [outcome.error.description, outcome.error.code], [unredirectable.client_id_missing, 'invalid_request'], 'the missing client_id is named');
  });

  test('a repeated client_id is unredirectable', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { client_id: [web.id, web.id] }));
    assert.equal(outcome.outcome === 'unredirectable' && outcome.error.description, unredirectable.client_id_repeated, 'even two equal ids are refused');
  });

  test('a redirect_uri the app did not register is unredirectable, and offers no redirect URI or state', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { redirect_uri: 'https://evil.example/cb' }));
    assert.deepEqual(Object.keys(outcome).sort(), ['error', 'outcome'], 'nothing in the outcome points at the unregistered address');
    assert.equal(outcome.outcome === 'unredirectable' && outcome.error.description, unredirectable.redirect_uri_mismatch, 'the reason is the mismatch');
  });

  test('a registered URI with anything added (a path, a query) is a mismatch: the comparison is exact', async () => {
    for (const uri of [`${redirectUri}/more`, `${redirectUri}?x=1`, redirectUri.toUpperCase()]) {
      const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { redirect_uri: uri }));
      assert.equal(outcome.outcome === 'unredirectable' && outcome.error.description, unredirectable.redirect_uri_mismatch, `${uri} does not match ${redirectUri}`);
    }
  });

  test('without redirect_uri, an app with two registered URIs is unredirectable', async () => {
    const { redirect_uri: _omitted, ...params } = codeParams(twoUris);
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', params);
    assert.equal(outcome.outcome === 'unredirectable' && outcome.error.description, unredirectable.redirect_uri_missing, 'which one is meant cannot be told');
  });
});

describe('errors once the redirect URI is known', () => {
  test('a missing response_type goes to the redirect URI, in the query, with the state', async () => {
    const { response_type: _omitted, ...params } = codeParams(web);
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', params);
    assert.ok(outcome.outcome === 'redirectable', `the app may hear of it: ${JSON.stringify(outcome)}`);
    assert.deepEqual(
      { code: outcome.error.code, redirectUri: outcome.redirectUri, state: outcome.state, responseMode: outcome.responseMode },
      { code: 'invalid_request', redirectUri, state: 'xyz', responseMode: 'query' },
      'invalid_request, to the registered URI, in the query, with the state echoed',
    );
  });

  test('an unsupported response_type (the hybrid code id_token) is unsupported_response_type, in the query', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { response_type: 'code id_token' }));
    assert.deepEqual(
      outcome.outcome === 'redirectable' && [outcome.error.code, outcome.responseMode],
      ['unsupported_response_type', 'query'],
      'a response type with no grant behind it is answered in the query',
    );
  });

  test('an implicit request (response_type=token) is answered in the fragment', async () => {
    // PKCE belongs to the code grant: a code_challenge on an implicit request is refused.
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', { response_type: 'token', client_id: spa.id, code_challenge: challenge, state: 'abc' });
    assert.deepEqual(
      outcome.outcome === 'redirectable' && { code: outcome.error.code, redirectUri: outcome.redirectUri, state: outcome.state, responseMode: outcome.responseMode },
      { code: 'invalid_request', redirectUri: 'https://spa.example/cb', state: 'abc', responseMode: 'fragment' },
      'the implied redirect URI, the fragment, the state',
    );
  });

  test('an implicit request without state is invalid_request, in the fragment, with no state to echo', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', { response_type: 'token', client_id: spa.id });
    assert.deepEqual(
      outcome.outcome === 'redirectable' && [outcome.error.code, outcome.responseMode, outcome.state],
      ['invalid_request', 'fragment', undefined],
      'the implicit grant requires state',
    );
  });

  test('an app asking for a grant it does not hold is unauthorized_client', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', { response_type: 'token', client_id: web.id, state: 's' });
    assert.deepEqual(outcome.outcome === 'redirectable' && [outcome.error.code, outcome.responseMode], ['unauthorized_client', 'fragment'], 'a web app holds no implicit grant');
  });

  test('a repeated parameter is invalid_request, and a repeated state is not echoed', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { state: ['one', 'two'] }));
    assert.deepEqual(outcome.outcome === 'redirectable' && [outcome.error.code, outcome.state], ['invalid_request', undefined], 'neither value is sent back');
    assert.match(outcome.outcome === 'redirectable' ? outcome.error.description : '', /the parameter 'state' was given more than once/, 'the description names the parameter');
  });

  test('a scope the app is not allowed is invalid_scope', async () => {
    const narrow = (await app(p, { scopes: ['profile'] })).client;
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(narrow, { scope: 'profile email' }));
    assert.equal(outcome.outcome === 'redirectable' && outcome.error.code, 'invalid_scope', 'email was not registered');
  });

  test('PKCE: required of every app that did not turn it off, and S256 only', async () => {
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = codeParams(web);
    const missing = await checkAuthorizationRequest(p.ctx, 'authorize', withoutPkce);
    assert.equal(missing.outcome === 'redirectable' && missing.error.code, 'invalid_request', 'no code_challenge');
    const plain = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { code_challenge_method: 'plain' }));
    assert.equal(plain.outcome === 'redirectable' && plain.error.code, 'invalid_request', 'plain is refused');
    const short = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { code_challenge: 'abc' }));
    assert.equal(short.outcome === 'redirectable' && short.error.code, 'invalid_request', 'a challenge that is no SHA-256 is refused');
  });

  test('prompt may be none, login, consent and select_account; none goes alone (OpenID Connect Core §3.1.2.1)', async () => {
    const both = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { prompt: 'login consent select_account' }));
    assert.equal(both.outcome, 'valid', 'login, consent and select_account together are fine');
    const none = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { prompt: 'none' }));
    assert.equal(none.outcome, 'valid', 'prompt=none alone is fine');
    const noneAndLogin = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { prompt: 'none login' }));
    assert.equal(noneAndLogin.outcome === 'redirectable' && noneAndLogin.error.code, 'invalid_request', 'none with another value is invalid_request');
    const unknown = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { prompt: 'always' }));
    assert.equal(unknown.outcome === 'redirectable' && unknown.error.code, 'invalid_request', 'an unknown value is invalid_request');
  });
});

describe('a valid request', () => {
  test('keeps exactly the parameters the checks vouch for, unknown ones dropped', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { scope: 'profile email', prompt: 'consent', ui_locales: 'zh-CN en', nonce: 'n-0S6', foo: 'bar', access_token: 'smuggled' }));
    assert.ok(outcome.outcome === 'valid', `the request passes: ${JSON.stringify(outcome)}`);
    assert.deepEqual(
      outcome.request.parameters,
      {
        client_id: web.id,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'profile email',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'xyz',
        prompt: 'consent',
        nonce: 'n-0S6',
        ui_locales: 'zh-CN en',
      },
      'the nonce kept (checks/nonce.ts vouches for it), no foo, no access_token',
    );
    assert.deepEqual(
      { client: outcome.request.client.id, redirectUri: outcome.request.redirectUri, responseType: outcome.request.responseType, scope: outcome.request.scope, facts: outcome.request.facts },
      { client: web.id, redirectUri, responseType: 'code', scope: ['profile', 'email'], facts: { nonce: 'n-0S6' } },
      'the established client, redirect URI, response type and scope',
    );
  });

  test('gets the implied redirect_uri added when the app registered one URI', async () => {
    const { redirect_uri: _omitted, ...params } = codeParams(web);
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', params);
    assert.ok(outcome.outcome === 'valid', `the request passes: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.request.parameters.redirect_uri, redirectUri, 'stored with the request as if it had been sent');
    assert.equal(outcome.request.redirectUri, redirectUri, 'and answered there');
  });

  test('without scope gets the default scope, and stores no scope parameter', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web));
    assert.ok(outcome.outcome === 'valid', `the request passes: ${JSON.stringify(outcome)}`);
    assert.deepEqual(outcome.request.scope, ['profile'], 'the configured default scope');
    assert.equal('scope' in outcome.request.parameters, false, 'the default is resolved again when the stored request is checked again');
  });

  test('treats an empty parameter as absent', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { state: '', scope: '' }));
    assert.ok(outcome.outcome === 'valid', `the request passes: ${JSON.stringify(outcome)}`);
    assert.deepEqual(['state' in outcome.request.parameters, outcome.request.scope], [false, ['profile']], 'no empty state is kept; the default scope applies');
  });
});

describe('ui_locales', () => {
  test('a space-separated list of BCP 47 tags is kept', async () => {
    for (const tags of ['en', 'zh-CN', 'zh-Hant-TW en-GB fr', 'x-klingon']) {
      const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { ui_locales: tags }));
      assert.equal(outcome.outcome === 'valid' && outcome.request.parameters.ui_locales, tags, `"${tags}" is kept as sent`);
    }
  });

  test('a malformed list is invalid_request, sent to the app', async () => {
    for (const tags of ['en_US', 'en,fr', 'en  fr', ' en', 'toolongtag', 'en-', `${'en '.repeat(70)}en`]) {
      const outcome = await checkAuthorizationRequest(p.ctx, 'authorize', codeParams(web, { ui_locales: tags }));
      assert.deepEqual(outcome.outcome === 'redirectable' && [outcome.error.code, outcome.state], ['invalid_request', 'xyz'], `"${tags.slice(0, 20)}" is refused`);
    }
  });
});

describe('endpoints', () => {
  // A device has no redirect URI, no response type and no browser to bind PKCE or a state to.
  const redirectOnly = { response_type: 'nonsense', redirect_uri: 'https://evil.example/cb', code_challenge: 'bad', code_challenge_method: 'plain', prompt: 'none', state: 's' };

  test('the device endpoint does not run the redirect_uri, response_type, pkce, state and prompt checks', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'device', { client_id: web.id, scope: 'email', ui_locales: 'en', ...redirectOnly });
    assert.ok(outcome.outcome === 'valid', `the device request passes: ${JSON.stringify(outcome)}`);
    assert.deepEqual(outcome.request.parameters, { client_id: web.id, scope: 'email', ui_locales: 'en' }, 'only what the device checks vouch for is kept');
    assert.deepEqual([outcome.request.redirectUri, outcome.request.responseType, outcome.request.scope], [undefined, undefined, ['email']], 'no redirect URI or response type is established');
  });

  test('the par endpoint runs them all', async () => {
    const outcome = await checkAuthorizationRequest(p.ctx, 'par', { client_id: web.id, scope: 'email', ...redirectOnly });
    assert.deepEqual(
      outcome.outcome === 'json' && [outcome.error.code, outcome.error.description],
      ['invalid_request', unredirectable.redirect_uri_mismatch],
      'the redirect_uri check runs first, and PAR answers it as JSON (RFC 9126 §2.3), never a page',
    );
    const afterRedirect = await checkAuthorizationRequest(p.ctx, 'par', { ...codeParams(web), prompt: 'none consent' });
    assert.equal(afterRedirect.outcome === 'json' && afterRedirect.error.code, 'invalid_request', 'and so does the prompt check, as JSON too, not a redirect');
    const valid = await checkAuthorizationRequest(p.ctx, 'par', codeParams(web));
    assert.equal(valid.outcome, 'valid', 'a good request passes at par as at authorize');
  });

  test('the device endpoint still checks the client, repeats, scope and ui_locales, and answers each as JSON', async () => {
    const codeOf = async (params: Record<string, string | string[]>) => {
      const outcome = await checkAuthorizationRequest(p.ctx, 'device', params);
      return outcome.outcome === 'json' ? outcome.error.code : `not a JSON error: ${outcome.outcome}`;
    };
    assert.equal(await codeOf({ client_id: 'no-such-app' }), 'invalid_client', 'an unknown client');
    assert.equal(await codeOf({ client_id: web.id, scope: ['email', 'email'] }), 'invalid_request', 'a repeated parameter');
    assert.equal(await codeOf({ client_id: web.id, scope: 'photos' }), 'invalid_scope', 'an unknown scope');
    assert.equal(await codeOf({ client_id: web.id, ui_locales: 'en_US' }), 'invalid_request', 'a malformed ui_locales');
  });
});

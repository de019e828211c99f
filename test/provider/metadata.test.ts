import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';

describe('metadata (RFC 8414)', () => {
  let provider: RunningProvider;
  before(async () => (provider = await startProvider(sqliteKind)));
  after(() => provider.close());

  test('names the issuer and every endpoint under it', async () => {
    const response = await fetch(`${provider.url}/.well-known/oauth-authorization-server`);
    assert.equal(response.status, 200, 'the metadata document is served');
    const metadata = await response.json();
    assert.equal(metadata.issuer, provider.url, 'the issuer is the provider');
    assert.equal(metadata.token_endpoint, `${provider.url}/oauth2/token`, 'the token endpoint is under the issuer');
    assert.equal(metadata.authorization_endpoint, `${provider.url}/oauth2/authorize`, 'the authorization endpoint is under the issuer');
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'], 'PKCE is offered with S256 only');
    assert.equal(metadata.authorization_response_iss_parameter_supported, true, 'the metadata says authorization responses carry iss (RFC 9207)');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', 'the metadata is served with nosniff');
  });

  test('an unknown path is a JSON 404', async () => {
    const response = await fetch(`${provider.url}/nowhere`);
    assert.equal(response.status, 404, 'an unknown path is 404');
    assert.equal((await response.json()).error, 'not_found', 'an unknown path answers with the JSON error not_found');
  });
});

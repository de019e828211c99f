import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeConfig, type ConfigOverrides } from '../../src/config/config.ts';
import { serverMetadata } from '../../src/provider/protocol/metadata.ts';

// The server metadata (RFC 8414) is written from the configuration: every grant switched on adds
// itself, and one switched off leaves no trace.

const metadataOf = (overrides: Omit<ConfigOverrides, 'secret'> = {}) => serverMetadata(makeConfig({ secret: 'x'.repeat(40), ...overrides }));

describe('server metadata', () => {
  test('with every feature on, it advertises every grant, both response types and both modes', () => {
    assert.deepEqual(
      metadataOf({ issuer: 'https://id.example' }),
      {
        issuer: 'https://id.example',
        authorization_endpoint: 'https://id.example/oauth2/authorize',
        token_endpoint: 'https://id.example/oauth2/token',
        jwks_uri: 'https://id.example/oauth2/jwks',
        revocation_endpoint: 'https://id.example/oauth2/revoke',
        introspection_endpoint: 'https://id.example/oauth2/introspect',
        scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
        response_types_supported: ['code', 'token', 'id_token', 'id_token token'],
        response_modes_supported: ['query', 'fragment'],
        grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
        service_documentation: 'https://id.example/',
        userinfo_endpoint: 'https://id.example/oauth2/userinfo',
        end_session_endpoint: 'https://id.example/oauth2/logout',
        subject_types_supported: ['public', 'pairwise'],
        id_token_signing_alg_values_supported: ['RS256', 'EdDSA'],
        claims_supported: [
          'sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'at_hash', 'amr',
          'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
          'email', 'email_verified', 'address', 'phone_number', 'phone_number_verified',
        ],
        claims_parameter_supported: true,
        display_values_supported: ['page', 'popup', 'touch', 'wap'],
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        client_id_metadata_document_supported: true,
      },
      'the whole document, under the configured issuer',
    );
  });

  test('without the implicit grant, neither its response types (token, id_token, id_token token) nor the fragment mode is advertised', () => {
    const metadata = metadataOf({ features: { implicit: false } });
    assert.deepEqual(metadata.response_types_supported, ['code'], 'code alone');
    assert.deepEqual(metadata.response_modes_supported, ['query'], 'query alone');
    assert.equal(metadata.grant_types_supported.includes('implicit'), false, 'implicit is not listed as a grant');
    assert.equal(metadata.authorization_endpoint, 'http://localhost:3000/oauth2/authorize', 'the code grant still needs the authorization endpoint');
  });

  test('with every grant of the authorization endpoint off, the endpoint and all it brings are gone', () => {
    const metadata = metadataOf({ features: { authorizationCode: false, implicit: false } });
    assert.deepEqual(metadata.grant_types_supported, ['refresh_token', 'client_credentials', 'password'], 'the token-endpoint grants remain');
    assert.deepEqual(metadata.response_types_supported, [], 'no response type');
    for (const field of ['authorization_endpoint', 'response_modes_supported', 'code_challenge_methods_supported', 'authorization_response_iss_parameter_supported']) {
      assert.equal(field in metadata, false, `${field} is left out (RFC 8414 §2)`);
    }
  });

  test('a grant of the token endpoint switched off is left out of grant_types_supported', () => {
    const metadata = metadataOf({ features: { password: false, clientCredentials: false, refreshToken: false } });
    assert.deepEqual(metadata.grant_types_supported, ['authorization_code', 'implicit'], 'only the grants still on');
    assert.deepEqual(metadata.response_types_supported, ['code', 'token', 'id_token', 'id_token token'], 'the authorization endpoint is untouched');
  });

  test('the scopes are the configured ones', () => {
    const metadata = metadataOf({ scopes: { 'photos:read': 'See your photos' } });
    assert.deepEqual(metadata.scopes_supported, ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'photos:read'], 'the defaults and the operator’s own, in order');
  });
});

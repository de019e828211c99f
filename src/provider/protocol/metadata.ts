import type { GrantryConfig } from '../../config/config.ts';
import { enabledGrants } from './grants/index.ts';
import { personClaimNames } from './claims.ts';
import { idTokenAlgorithms, subjectTypes } from './clients.ts';

/** The authorization server metadata (RFC 8414), as Grantry writes it. */
export interface ServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint: string;
  jwks_uri: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  scopes_supported: string[];
  response_types_supported: string[];
  response_modes_supported?: string[];
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  revocation_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_methods_supported: string[];
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  service_documentation: string;
  // OpenID Connect Discovery 1.0 §3, in the same document.
  userinfo_endpoint: string;
  end_session_endpoint: string;
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
  claims_supported: string[];
  claims_parameter_supported: boolean;
  display_values_supported: string[];
  request_parameter_supported: boolean;
  request_uri_parameter_supported: boolean;
  // OpenID Connect Back-Channel Logout 1.0 §2.1.
  backchannel_logout_supported: boolean;
  backchannel_logout_session_supported: boolean;
  // RFC 7591 §3 (RFC 8414 §2): only while apps may register themselves (registration.mode).
  registration_endpoint?: string;
  // draft-ietf-oauth-client-id-metadata-document §5: a client_id may be the URL of the app's own metadata.
  client_id_metadata_document_supported: boolean;
}

/** The claims Grantry can say about a person: in the ID token, and at UserInfo by scope. */
export const supportedClaims = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'at_hash', 'amr', ...personClaimNames];

/**
 * The one metadata document, served at /.well-known/oauth-authorization-server (RFC 8414) and at
 * /.well-known/openid-configuration (OpenID Connect Discovery 1.0), so that the two never differ.
 * Written from what the provider does, so that it stays true: every endpoint it serves, and what
 * each grant switched on (features) adds. A grant that is off is not advertised.
 */
export function serverMetadata(config: GrantryConfig): ServerMetadata {
  const issuer = config.issuer;
  const grants = enabledGrants(config);
  const responseTypes = grants.flatMap((grant) => grant.authorization?.responseTypes ?? []);
  const metadata: ServerMetadata = {
    issuer,
    // RFC 8414 §2: required unless no grant type uses the authorization endpoint.
    ...(responseTypes.length > 0 ? { authorization_endpoint: `${issuer}/oauth2/authorize` } : {}),
    token_endpoint: `${issuer}/oauth2/token`,
    jwks_uri: `${issuer}/oauth2/jwks`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    introspection_endpoint: `${issuer}/oauth2/introspect`,
    scopes_supported: Object.keys(config.scopes),
    response_types_supported: responseTypes,
    grant_types_supported: grants.map((grant) => grant.grantType),
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    service_documentation: `${issuer}/`,
    userinfo_endpoint: `${issuer}/oauth2/userinfo`,
    end_session_endpoint: `${issuer}/oauth2/logout`,
    // The user's id, as uid and /api/me have always said it, or per app a pairwise one (./subject.ts).
    subject_types_supported: [...subjectTypes],
    // RS256 for every app by default (Discovery 1.0 requires it), EdDSA for the apps that choose it.
    id_token_signing_alg_values_supported: [...idTokenAlgorithms],
    claims_supported: supportedClaims,
    claims_parameter_supported: true,
    display_values_supported: ['page', 'popup', 'touch', 'wap'],
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    backchannel_logout_supported: true,
    // Logout tokens of an ended session carry its sid, which the ID tokens of that session carry too.
    backchannel_logout_session_supported: true,
    ...(config.registration.mode !== 'off' ? { registration_endpoint: `${issuer}/oauth2/register` } : {}),
    client_id_metadata_document_supported: config.clientIdMetadataDocuments.enabled,
  };
  // Each grant's own fields; lists are merged, in the order of the grants.
  for (const grant of grants) {
    for (const [name, value] of Object.entries(grant.metadata ?? {})) {
      const current = (metadata as unknown as Record<string, unknown>)[name];
      (metadata as unknown as Record<string, unknown>)[name] = Array.isArray(value) && Array.isArray(current) ? [...new Set([...current, ...value])] : value;
    }
  }
  return metadata;
}

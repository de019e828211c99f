import { discover, fromMetadata } from '../client/discovery.ts';
import { ConnectError } from '../client/errors.ts';
import { getJson, requireString } from '../client/http.ts';
import { lazyProvider } from '../client/lazy.ts';
import type { LazyProvider, Provider } from '../client/types.ts';
import { optionalText, presetOptions, requireHttpUrl, requireText } from './options.ts';
import { bearer, profile, text } from './profile.ts';

export interface GrantryOptions {
  /** The provider's issuer URL; everything else is read from its RFC 8414 metadata. */
  issuer: string;
  clientId: string;
  /** Left out for a public app (PKCE only); given, it must not be empty. */
  clientSecret?: string;
  scope?: string;
  id?: string;
}

/**
 * Log in with a Grantry provider. Synchronous: the options are checked now, and the provider's
 * metadata (<issuer>/.well-known/oauth-authorization-server) is read when a login first needs it;
 * a provider that speaks OpenID Connect is used as one (ID token and UserInfo), an older one
 * through /api/me,
 * so a site starts while its provider is still starting. For server-side grants without Connect:
 * `const provider = await grantry({…}).load()`.
 */
export function grantry(options: GrantryOptions): LazyProvider {
  presetOptions('grantry', options, 'issuer, clientId, clientSecret');
  requireHttpUrl('grantry', options, 'issuer', 'the Grantry provider\'s URL, e.g. https://id.example.com');
  requireText('grantry', options, 'clientId', 'the Client ID of your app at the Grantry provider');
  optionalText('grantry', options, 'clientSecret', 'the Client secret of your app at the Grantry provider (leave it out for a public app)');
  const id = options.id ?? 'grantry';
  return lazyProvider(id, 'Grantry', () => loadGrantry(options, id));
}

async function loadGrantry(options: GrantryOptions, id: string): Promise<Provider> {
  const metadata = await discover(options.issuer, 'oauth');
  const methods = metadata.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) throw new ConnectError('invalid_metadata', `${options.issuer} does not offer PKCE S256`);
  const base = { ...fromMetadata(metadata, options), id, name: 'Grantry', pkce: true };
  const userinfo = metadata.userinfo_endpoint;
  const scopes = Array.isArray(metadata.scopes_supported) ? metadata.scopes_supported : [];
  const scope = options.scope ?? 'openid profile email';
  // A site that set a scope without openid gets plain OAuth 2.0, as it asked: no nonce, no ID token.
  const wantsOpenId = scope.split(' ').includes('openid');
  if (typeof userinfo === 'string' && typeof metadata.jwks_uri === 'string' && scopes.includes('openid') && wantsOpenId) {
    // A Grantry that speaks OpenID Connect: the ID token (validated against its JWKS, with the
    // login's nonce) says who logged in, and UserInfo what they let the site see.
    return {
      ...base,
      jwksUri: metadata.jwks_uri,
      scope,
      oidc: true,
      async identity(tokens, { claims }) {
        const subject = requireString(claims ?? {}, 'sub', "Grantry's ID token");
        const info = await getJson(userinfo, bearer(tokens.accessToken));
        // OpenID Connect Core §5.3.4: UserInfo about someone else is a substitution attempt.
        if (info.sub !== subject) throw new ConnectError('subject_mismatch', 'UserInfo describes another user than the ID token');
        const uid = text(tokens.raw, 'uid');
        if (uid !== undefined && uid !== subject) throw new ConnectError('subject_mismatch', "the ID token describes another user than the token's uid");
        // Grantry does not verify email addresses, and says so (email_verified: false).
        return { provider: id, subject, profile: profile({ name: info.name ?? info.preferred_username, email: info.email, emailVerified: false }) };
      },
    };
  }
  // An older Grantry, plain OAuth 2.0: /api/me says who logged in.
  return {
    ...base,
    // An older provider knows no openid: the rest of the scope is asked for.
    scope: scope.split(' ').filter((name) => name && name !== 'openid').join(' ') || 'profile email',
    oidc: false,
    async identity(tokens) {
      const me = await getJson(`${metadata.issuer.replace(/\/$/, '')}/api/me`, bearer(tokens.accessToken));
      const subject = requireString(me, 'uid', 'Grantry\'s /api/me');
      const uid = text(tokens.raw, 'uid');
      if (uid !== undefined && uid !== subject) throw new ConnectError('subject_mismatch', '/api/me describes another user than the token\'s uid');
      // Grantry does not verify email addresses, so none counts as verified here.
      return { provider: id, subject, profile: profile({ name: me.display_name ?? me.username, email: me.email, emailVerified: false }) };
    },
  };
}

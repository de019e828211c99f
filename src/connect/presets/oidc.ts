import { discover, fromMetadata } from '../client/discovery.ts';
import { ConnectError } from '../client/errors.ts';
import { getJson, type Body } from '../client/http.ts';
import { lazyProvider } from '../client/lazy.ts';
import type { LazyProvider, Provider } from '../client/types.ts';
import { optionalText, presetOptions, requireHttpUrl, requireText } from './options.ts';
import { bearer, profile } from './profile.ts';

export interface OidcOptions {
  /** The provider's id in the site's paths (/auth/<id>/login); the issuer's host name by default. */
  id?: string;
  name?: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
}

/**
 * Any OpenID Connect provider, configured from its discovery document. Synchronous: the options
 * are checked now, the document is read when a login first needs it.
 */
export function oidc(options: OidcOptions): LazyProvider {
  presetOptions('oidc', options, 'issuer, clientId, clientSecret');
  requireHttpUrl('oidc', options, 'issuer', 'the provider\'s issuer URL, as its discovery document names it');
  requireText('oidc', options, 'clientId', 'the client id the provider gave your site');
  optionalText('oidc', options, 'clientSecret', 'the client secret the provider gave your site (leave it out for a public client)');
  const id = options.id ?? new URL(options.issuer).hostname;
  return lazyProvider(id, options.name ?? id, () => loadOidc(options, id));
}

async function loadOidc(options: OidcOptions, id: string): Promise<Provider> {
  const metadata = await discover(options.issuer, 'oidc');
  if (typeof metadata.jwks_uri !== 'string') throw new ConnectError('invalid_metadata', `${options.issuer} publishes no jwks_uri`);
  const userinfo = metadata.userinfo_endpoint;
  return {
    ...fromMetadata(metadata, options),
    id,
    name: options.name ?? id,
    jwksUri: metadata.jwks_uri,
    scope: options.scope ?? 'openid profile email',
    oidc: true,
    pkce: true,
    async identity(tokens, { claims }) {
      let body: Body = { ...claims };
      if (userinfo) {
        const info = await getJson(userinfo, bearer(tokens.accessToken));
        // OIDC Core §5.3.4: a userinfo answer about someone else is a substitution attempt.
        if (info.sub !== claims?.sub) throw new ConnectError('subject_mismatch', 'userinfo describes another subject');
        body = { ...body, ...info };
      }
      return {
        provider: id,
        subject: String(claims?.sub),
        profile: profile({ name: body.name ?? body.preferred_username, email: body.email, emailVerified: body.email_verified, avatar: body.picture }),
      };
    },
  };
}

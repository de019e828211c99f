import { discover, fromMetadata } from '../client/discovery.ts';
import { ConnectError } from '../client/errors.ts';
import { getJson, type Body } from '../client/http.ts';
import type { Provider } from '../client/types.ts';
import { bearer, profile } from './profile.ts';

export interface OidcOptions {
  id?: string;
  name?: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
}

/** Any OpenID Connect provider, configured from its discovery document. */
export async function oidc(options: OidcOptions): Promise<Provider> {
  const metadata = await discover(options.issuer, 'oidc');
  if (typeof metadata.jwks_uri !== 'string') throw new ConnectError('invalid_metadata', `${options.issuer} publishes no jwks_uri`);
  const id = options.id ?? new URL(options.issuer).hostname;
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

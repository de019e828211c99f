import { discover, fromMetadata } from '../client/discovery.ts';
import { ConnectError } from '../client/errors.ts';
import { getJson, requireString } from '../client/http.ts';
import type { Provider } from '../client/types.ts';
import { bearer, profile, text } from './profile.ts';

export interface GrantryOptions {
  /** The provider's issuer URL; everything else is read from its RFC 8414 metadata. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
  id?: string;
}

/** Log in with a Grantry provider. Asynchronous: it reads <issuer>/.well-known/oauth-authorization-server first. */
export async function grantry(options: GrantryOptions): Promise<Provider> {
  const metadata = await discover(options.issuer, 'oauth');
  const id = options.id ?? 'grantry';
  const methods = metadata.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) throw new ConnectError('invalid_metadata', `${options.issuer} does not offer PKCE S256`);
  return {
    ...fromMetadata(metadata, options),
    id,
    name: 'Grantry',
    scope: options.scope ?? 'profile email',
    oidc: false,
    pkce: true,
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

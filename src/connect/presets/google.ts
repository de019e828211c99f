import type { Provider } from '../client/types.ts';
import { profile } from './profile.ts';
import { presetOptions, requireText } from './options.ts';

export interface GoogleOptions {
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** A test double's address, serving Google's paths, instead of Google's three hosts. */
  baseUrl?: string;
}

// Google's endpoints are stable and documented, so they are written here rather than discovered
// at start-up; the identity comes from the validated ID token alone (no userinfo call).
export function google(options: GoogleOptions): Provider {
  presetOptions('google', options, 'clientId, clientSecret');
  requireText('google', options, 'clientId', 'the Client ID of your OAuth client in the Google Cloud console');
  requireText('google', options, 'clientSecret', 'the Client secret of your OAuth client in the Google Cloud console');
  const at = (host: string, path: string) => `${options.baseUrl ?? host}${path}`;
  return {
    id: 'google',
    name: 'Google',
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authorizationEndpoint: at('https://accounts.google.com', '/o/oauth2/v2/auth'),
    tokenEndpoint: at('https://oauth2.googleapis.com', '/token'),
    revocationEndpoint: at('https://oauth2.googleapis.com', '/revoke'),
    // ID tokens name the issuer either way; Google's discovery document says the first.
    issuer: 'https://accounts.google.com',
    idTokenIssuers: ['accounts.google.com'],
    jwksUri: at('https://www.googleapis.com', '/oauth2/v3/certs'),
    scope: options.scope ?? 'openid profile email',
    oidc: true,
    pkce: true,
    issInCallback: false,
    tokenAuth: 'client_secret_post',
    async identity(_tokens, { claims }) {
      return {
        provider: 'google',
        subject: String(claims!.sub),
        profile: profile({ name: claims!.name, email: claims!.email, emailVerified: claims!.email_verified, avatar: claims!.picture }),
      };
    },
  };
}

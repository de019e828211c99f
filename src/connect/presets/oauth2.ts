import { getJson, requireString, type Body } from '../client/http.ts';
import type { ConnectProfile, Provider } from '../client/types.ts';
import { bearer, profile } from './profile.ts';
import { optionalText, presetOptions, requireHttpUrl, requireText } from './options.ts';

/** Any plain OAuth 2.0 provider with a profile endpoint. */
export interface OAuth2Options {
  id: string;
  name?: string;
  clientId: string;
  clientSecret?: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  revocationEndpoint?: string;
  /** Set it when the provider sends RFC 9207 `iss`: a callback naming another issuer is refused. */
  issuer?: string;
  issInCallback?: boolean;
  scope?: string;
  pkce?: boolean;
  tokenAuth?: Provider['tokenAuth'];
  /** Maps the profile endpoint's answer; by default the OIDC claim names (sub, name, email, picture). */
  mapProfile?(body: Body): { subject: string; profile: ConnectProfile };
}

function standardProfile(body: Body): { subject: string; profile: ConnectProfile } {
  const subject = body.sub !== undefined ? requireString(body, 'sub', 'the profile') : requireString(body, 'id', 'the profile');
  return {
    subject,
    profile: profile({ name: body.name ?? body.username, email: body.email, emailVerified: body.email_verified, avatar: body.picture ?? body.avatar_url }),
  };
}

export function oauth2(options: OAuth2Options): Provider {
  presetOptions('oauth2', options, 'id, clientId, authorizationEndpoint, tokenEndpoint, userinfoEndpoint');
  requireText('oauth2', options, 'id', 'the provider\'s id in your site\'s paths (/auth/<id>/login)');
  requireText('oauth2', options, 'clientId', 'the client id the provider gave your site');
  optionalText('oauth2', options, 'clientSecret', 'the client secret the provider gave your site (leave it out for a public client)');
  for (const endpoint of ['authorizationEndpoint', 'tokenEndpoint', 'userinfoEndpoint'] as const) requireHttpUrl('oauth2', options, endpoint, 'one of the provider\'s endpoints');
  const map = options.mapProfile ?? standardProfile;
  return {
    id: options.id,
    name: options.name ?? options.id,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authorizationEndpoint: options.authorizationEndpoint,
    tokenEndpoint: options.tokenEndpoint,
    revocationEndpoint: options.revocationEndpoint,
    issuer: options.issuer,
    scope: options.scope ?? '',
    oidc: false,
    pkce: options.pkce ?? true,
    issInCallback: options.issInCallback ?? false,
    tokenAuth: options.tokenAuth ?? (options.clientSecret === undefined ? 'none' : 'client_secret_basic'),
    async identity(tokens) {
      const { subject, profile } = map(await getJson(options.userinfoEndpoint, bearer(tokens.accessToken)));
      return { provider: options.id, subject, profile };
    },
  };
}

import { getJson, requireString, type Body } from '../client/http.ts';
import type { Provider } from '../client/types.ts';
import { bearer, profile } from './profile.ts';
import { presetOptions, requireText } from './options.ts';

export interface GitHubOptions {
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** For GitHub Enterprise, or a test double. */
  webUrl?: string;
  apiUrl?: string;
}

/** The primary address, and whether GitHub verified it; the profile's `email` is only what the person chose to show. */
async function primaryEmail(api: string, headers: Record<string, string>): Promise<{ email: unknown; verified: boolean } | null> {
  try {
    const { items } = await getJson(`${api}/user/emails`, headers);
    const primary = (items as Body[] | undefined)?.find((entry) => entry.primary === true);
    return primary ? { email: primary.email, verified: primary.verified === true } : null;
  } catch {
    // Without the user:email scope the list is refused; the public email, unverified, is all there is.
    return null;
  }
}

// GitHub answers token errors with HTTP 200 (http.ts reads the body's `error` whatever the
// status), wants Accept: application/json to answer in JSON at all, and refuses API calls
// without a User-Agent (http.ts sends one on every request).
export function github(options: GitHubOptions): Provider {
  presetOptions('github', options, 'clientId, clientSecret');
  requireText('github', options, 'clientId', 'the Client ID of your GitHub OAuth app');
  requireText('github', options, 'clientSecret', 'a client secret of your GitHub OAuth app');
  const web = options.webUrl ?? 'https://github.com';
  const api = options.apiUrl ?? 'https://api.github.com';
  return {
    id: 'github',
    name: 'GitHub',
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authorizationEndpoint: `${web}/login/oauth/authorize`,
    tokenEndpoint: `${web}/login/oauth/access_token`,
    scope: options.scope ?? 'read:user user:email',
    oidc: false,
    pkce: true,
    issInCallback: false,
    tokenAuth: 'client_secret_post',
    tokenHeaders: { accept: 'application/json' },
    async identity(tokens) {
      const headers = { ...bearer(tokens.accessToken), accept: 'application/vnd.github+json' };
      const user = await getJson(`${api}/user`, headers);
      const primary = await primaryEmail(api, headers);
      return {
        provider: 'github',
        subject: requireString(user, 'id', 'the GitHub user'),
        profile: profile({
          name: user.name ?? user.login,
          email: primary?.email ?? user.email,
          emailVerified: primary?.verified ?? false,
          avatar: user.avatar_url,
        }),
      };
    },
  };
}

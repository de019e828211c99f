import { ConnectError } from '../client/errors.ts';
import { getJson, request, requireString } from '../client/http.ts';
import type { Provider, TokenSet } from '../client/types.ts';
import { profile, text } from './profile.ts';
import { presetOptions, requireText } from './options.ts';

export interface WeiboOptions {
  /** The App Key. */
  clientId: string;
  /** The App Secret. */
  clientSecret: string;
  scope?: string;
  /** A test double's address instead of https://api.weibo.com. */
  baseUrl?: string;
}

/** The token response names the user (as a string); older tokens need get_token_info to say who they belong to. */
async function weiboUid(base: string, tokens: TokenSet): Promise<string> {
  const uid = text(tokens.raw, 'uid');
  if (uid) return uid;
  const info = await request(`${base}/oauth2/get_token_info`, { method: 'POST', body: new URLSearchParams({ access_token: tokens.accessToken }) });
  return requireString(info, 'uid', 'get_token_info');
}

// Weibo: no PKCE, remind_in and uid as strings (token.ts accepts either for expires_in), JSON
// labelled text/plain (http.ts reads the body, not the label), errors as {error, error_code}.
export function weibo(options: WeiboOptions): Provider {
  presetOptions('weibo', options, 'clientId, clientSecret');
  requireText('weibo', options, 'clientId', 'the App Key of your Weibo app');
  requireText('weibo', options, 'clientSecret', 'the App Secret of your Weibo app');
  const base = options.baseUrl ?? 'https://api.weibo.com';
  return {
    id: 'weibo',
    name: 'Weibo',
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authorizationEndpoint: `${base}/oauth2/authorize`,
    tokenEndpoint: `${base}/oauth2/access_token`,
    revocationEndpoint: undefined,
    scope: options.scope ?? '',
    oidc: false,
    pkce: false,
    issInCallback: false,
    tokenAuth: 'client_secret_post',
    async identity(tokens) {
      const uid = await weiboUid(base, tokens);
      const url = new URL(`${base}/2/users/show.json`);
      url.search = new URLSearchParams({ access_token: tokens.accessToken, uid }).toString();
      const user = await getJson(url);
      const subject = requireString(user, 'idstr', 'the Weibo profile');
      if (subject !== uid) throw new ConnectError('subject_mismatch', 'Weibo described another user than the token\'s');
      return {
        provider: 'weibo',
        subject,
        profile: profile({ name: user.screen_name ?? user.name, avatar: user.avatar_large ?? user.profile_image_url }),
      };
    },
  };
}

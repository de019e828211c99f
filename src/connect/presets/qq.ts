import { ConnectError } from '../client/errors.ts';
import { getJson, requireString } from '../client/http.ts';
import type { Provider } from '../client/types.ts';
import { profile } from './profile.ts';
import { presetOptions, requireText } from './options.ts';

export interface QQOptions {
  appId: string;
  appKey: string;
  scope?: string;
  /** A test double's address instead of https://graph.qq.com. */
  baseUrl?: string;
}

// QQ: the token endpoint answers form-encoded and /oauth2.0/me in JSONP, both as text/html
// (http.ts reads either); the profile call wants the app id again as oauth_consumer_key, and
// reports errors as {ret, msg}.
export function qq(options: QQOptions): Provider {
  presetOptions('qq', options, 'appId, appKey');
  requireText('qq', options, 'appId', 'the APP ID of your QQ Connect app');
  requireText('qq', options, 'appKey', 'the APP Key of your QQ Connect app');
  const base = options.baseUrl ?? 'https://graph.qq.com';
  return {
    id: 'qq',
    name: 'QQ',
    clientId: options.appId,
    clientSecret: options.appKey,
    authorizationEndpoint: `${base}/oauth2.0/authorize`,
    tokenEndpoint: `${base}/oauth2.0/token`,
    scope: options.scope ?? 'get_user_info',
    oidc: false,
    pkce: false,
    issInCallback: false,
    tokenAuth: 'client_secret_post',
    async identity(tokens) {
      const me = await getJson(`${base}/oauth2.0/me?${new URLSearchParams({ access_token: tokens.accessToken })}`);
      // A token issued to another app must not log anyone in here (token substitution).
      if (me.client_id !== options.appId) throw new ConnectError('audience_mismatch', 'the QQ token was issued to another app');
      const openid = requireString(me, 'openid', 'QQ\'s /me');
      const user = await getJson(`${base}/user/get_user_info?${new URLSearchParams({ access_token: tokens.accessToken, oauth_consumer_key: options.appId, openid })}`);
      return {
        provider: 'qq',
        subject: openid,
        profile: profile({ name: user.nickname, avatar: user.figureurl_qq_2 || user.figureurl_qq_1 }),
      };
    },
  };
}

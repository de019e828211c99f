import { ConnectError } from '../client/errors.ts';
import { getJson, requireString } from '../client/http.ts';
import type { Provider } from '../client/types.ts';
import { profile, text } from './profile.ts';
import { presetOptions, requireText } from './options.ts';

export interface WeChatOptions {
  appId: string;
  appSecret: string;
  /** Inside the WeChat app (official-account pages) rather than a QR code on a website. */
  inWeChat?: boolean;
  /**
   * openid differs for each app of one company; unionid is the same across them, but only once
   * the apps are tied on the Open Platform. 'unionid' (the default) uses it when sent, openid
   * otherwise — choose before the first login, since switching changes every subject.
   */
  subject?: 'unionid' | 'openid';
  openUrl?: string;
  apiUrl?: string;
}

// WeChat: appid/secret instead of client_id/client_secret, parameters in a fixed order and a
// #wechat_redirect fragment, a GET token endpoint, no token_type, errors as {errcode, errmsg}
// with HTTP 200 (http.ts), no PKCE and no email.
export function wechat(options: WeChatOptions): Provider {
  presetOptions('wechat', options, 'appId, appSecret');
  requireText('wechat', options, 'appId', 'the AppID of your WeChat website app');
  requireText('wechat', options, 'appSecret', 'the AppSecret of your WeChat website app');
  const open = options.openUrl ?? 'https://open.weixin.qq.com';
  const api = options.apiUrl ?? 'https://api.weixin.qq.com';
  const endpoint = (path: string, params: Record<string, string>) => `${api}${path}?${new URLSearchParams(params)}`;
  return {
    id: 'wechat',
    name: 'WeChat',
    clientId: options.appId,
    clientSecret: options.appSecret,
    authorizationEndpoint: options.inWeChat ? `${open}/connect/oauth2/authorize` : `${open}/connect/qrconnect`,
    tokenEndpoint: `${api}/sns/oauth2/access_token`,
    scope: options.inWeChat ? 'snsapi_userinfo' : 'snsapi_login',
    oidc: false,
    pkce: false,
    issInCallback: false,
    tokenAuth: 'none',
    finishAuthorizationUrl(url) {
      const get = (name: string) => url.searchParams.get(name) ?? '';
      const ordered = new URLSearchParams({
        appid: options.appId, redirect_uri: get('redirect_uri'), response_type: 'code', scope: get('scope'), state: get('state'),
      });
      return `${url.origin}${url.pathname}?${ordered}#wechat_redirect`;
    },
    tokenRequest(params) {
      const credentials = { appid: options.appId };
      if (params.grant_type === 'authorization_code') {
        return { method: 'GET', url: endpoint('/sns/oauth2/access_token', { ...credentials, secret: options.appSecret, code: params.code!, grant_type: 'authorization_code' }) };
      }
      if (params.grant_type === 'refresh_token') {
        return { method: 'GET', url: endpoint('/sns/oauth2/refresh_token', { ...credentials, grant_type: 'refresh_token', refresh_token: params.refresh_token! }) };
      }
      throw new ConnectError('unsupported', `WeChat has no ${params.grant_type} grant`);
    },
    async identity(tokens) {
      const openid = requireString(tokens.raw, 'openid', 'the WeChat token response');
      const user = await getJson(endpoint('/sns/userinfo', { access_token: tokens.accessToken, openid, lang: 'zh_CN' }));
      if (text(user, 'openid') !== openid) throw new ConnectError('subject_mismatch', 'WeChat described another user than the token\'s');
      const unionid = text(user, 'unionid') ?? text(tokens.raw, 'unionid');
      return {
        provider: 'wechat',
        subject: options.subject !== 'openid' && unionid ? unionid : openid,
        profile: profile({ name: user.nickname, avatar: user.headimgurl }),
      };
    },
  };
}

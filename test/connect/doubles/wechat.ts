import { startDouble, issueCode, type Double } from './server.ts';

// WeChat as documented: appid/secret, a GET token endpoint, no token_type, openid per app and an
// optional unionid, errors as {errcode, errmsg} with HTTP 200, profile at /sns/userinfo.

export const wechatClient = { appId: 'wx-app-id', appSecret: 'wx-app-secret' };

export function startWeChat(options: { unionid?: boolean } = {}): Promise<Double> {
  const codes = new Map<string, { user: string; redirectUri: string }>();
  const tokens = new Map<string, string>();
  const refreshTokens = new Map<string, string>();
  const fail = (errcode: number, errmsg: string) => ({ errcode, errmsg });
  const issue = (user: string) => {
    const access = `wx-at-${Math.random().toString(36).slice(2)}`;
    const refresh = `wx-rt-${Math.random().toString(36).slice(2)}`;
    tokens.set(access, user);
    refreshTokens.set(refresh, user);
    return {
      access_token: access, expires_in: 7200, refresh_token: refresh, openid: `openid-${user}`, scope: 'snsapi_login',
      ...(options.unionid === false ? {} : { unionid: `unionid-${user}` }),
    };
  };
  return startDouble((app, double) => {
    app.get('/connect/qrconnect', async (request, reply) => {
      const query = request.query as Record<string, string>;
      // WeChat knows appid, not client_id, and shows an error page for anything else.
      if (query.appid !== wechatClient.appId || query.client_id !== undefined) return reply.code(400).type('text/html').send('<p>参数错误</p>');
      return reply.redirect(issueCode(double, codes, query));
    });
    app.get('/sns/oauth2/access_token', async (request, reply) => {
      const query = request.query as Record<string, string>;
      // WeChat labels its JSON text/plain.
      reply.type('text/plain');
      if (query.appid !== wechatClient.appId || query.secret !== wechatClient.appSecret) return JSON.stringify(fail(40125, 'invalid appsecret'));
      const grant = codes.get(query.code ?? '');
      codes.delete(query.code ?? '');
      if (double.failNextToken || !grant || query.grant_type !== 'authorization_code') {
        double.failNextToken = false;
        return JSON.stringify(fail(40029, 'invalid code, rid: 6543a1b2-0c3d'));
      }
      return JSON.stringify(issue(grant.user));
    });
    app.get('/sns/oauth2/refresh_token', async (request) => {
      const query = request.query as Record<string, string>;
      const user = refreshTokens.get(query.refresh_token ?? '');
      if (!user || query.appid !== wechatClient.appId) return fail(40030, 'invalid refresh_token');
      return issue(user);
    });
    app.get('/sns/userinfo', async (request) => {
      const query = request.query as Record<string, string>;
      const user = tokens.get(query.access_token ?? '');
      if (!user) return fail(40001, 'invalid credential, access_token is invalid or not latest');
      if (query.openid !== `openid-${user}`) return fail(40003, 'invalid openid');
      return {
        openid: `openid-${user}`, nickname: `微信${user}`, sex: 0, province: '', city: '', country: '',
        headimgurl: `https://thirdwx.qlogo.cn/${user}/132`, privilege: [],
        ...(options.unionid === false ? {} : { unionid: `unionid-${user}` }),
      };
    });
  });
}

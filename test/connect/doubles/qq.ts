import { startDouble, issueCode, type Double } from './server.ts';

// QQ as documented: the token endpoint answers form-encoded (errors as JSONP), /oauth2.0/me
// answers `callback( {...} );` as text/html, the profile wants oauth_consumer_key and reports
// errors as {ret, msg}.

export const qqClient = { appId: '101000001', appKey: 'qq-app-key' };

export function startQQ(options: { meClientId?: string } = {}): Promise<Double> {
  const codes = new Map<string, { user: string; redirectUri: string }>();
  const tokens = new Map<string, string>();
  const jsonp = (body: unknown) => `callback( ${JSON.stringify(body)} );\n`;
  return startDouble((app, double) => {
    app.get('/oauth2.0/authorize', async (request, reply) => reply.redirect(issueCode(double, codes, request.query as Record<string, string>)));
    app.post('/oauth2.0/token', async (request, reply) => {
      const body = request.body as Record<string, string>;
      reply.type('text/html');
      const grant = codes.get(body.code ?? '');
      codes.delete(body.code ?? '');
      if (double.failNextToken || !grant || body.client_secret !== qqClient.appKey || body.redirect_uri !== grant.redirectUri) {
        double.failNextToken = false;
        return jsonp({ error: 100019, error_description: 'code to access token error' });
      }
      const token = `QQ${Math.random().toString(36).slice(2).toUpperCase()}`;
      tokens.set(token, grant.user);
      return `access_token=${token}&expires_in=7776000&refresh_token=R${token}`;
    });
    app.get('/oauth2.0/me', async (request, reply) => {
      reply.type('text/html');
      const user = tokens.get((request.query as Record<string, string>).access_token ?? '');
      if (!user) return jsonp({ error: 100016, error_description: 'access token check failed' });
      return jsonp({ client_id: options.meClientId ?? qqClient.appId, openid: `QQOPENID${user.toUpperCase()}` });
    });
    app.get('/user/get_user_info', async (request) => {
      const query = request.query as Record<string, string>;
      const user = tokens.get(query.access_token ?? '');
      if (!user || query.oauth_consumer_key !== qqClient.appId || query.openid !== `QQOPENID${user.toUpperCase()}`) {
        return { ret: -1, msg: "client request's parameters are invalid, invalid openid" };
      }
      return { ret: 0, msg: '', nickname: `QQ ${user}`, figureurl_qq_1: `https://qzapp.qlogo.cn/${user}/40`, figureurl_qq_2: `https://qzapp.qlogo.cn/${user}/100` };
    });
  });
}

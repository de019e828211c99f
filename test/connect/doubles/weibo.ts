import { startDouble, issueCode, type Double } from './server.ts';

// Weibo as documented: remind_in and uid as strings, JSON served as text/plain, errors as
// {error, error_code, request}, profile at 2/users/show.json with idstr, get_token_info for the uid.

export const weiboClient = { clientId: 'weibo-app-key', clientSecret: 'weibo-app-secret' };

export function startWeibo(options: { omitUid?: boolean } = {}): Promise<Double> {
  const codes = new Map<string, { user: string; redirectUri: string }>();
  const tokens = new Map<string, string>();
  const uidOf = (user: string) => String(5865720000 + [...user].reduce((sum, c) => sum + c.charCodeAt(0), 0));
  const text = (reply: import('fastify').FastifyReply, status: number, body: unknown) =>
    reply.code(status).type('text/plain;charset=UTF-8').send(JSON.stringify(body));
  const error = (path: string, code: number, message: string) => ({ error: message, error_code: code, request: path });

  return startDouble((app, double) => {
    app.get('/oauth2/authorize', async (request, reply) => reply.redirect(issueCode(double, codes, request.query as Record<string, string>)));
    app.post('/oauth2/access_token', async (request, reply) => {
      const body = request.body as Record<string, string>;
      if (body.client_id !== weiboClient.clientId || body.client_secret !== weiboClient.clientSecret) {
        return text(reply, 400, error('/oauth2/access_token', 21324, 'invalid_client'));
      }
      const grant = codes.get(body.code ?? '');
      codes.delete(body.code ?? '');
      if (double.failNextToken || !grant || grant.redirectUri !== body.redirect_uri) {
        double.failNextToken = false;
        return text(reply, 400, error('/oauth2/access_token', 21325, 'invalid_grant'));
      }
      const token = `2.00weibo${Math.random().toString(36).slice(2)}`;
      tokens.set(token, grant.user);
      return text(reply, 200, {
        access_token: token, remind_in: '157679999', expires_in: 157679999, isRealName: 'true',
        ...(options.omitUid ? {} : { uid: uidOf(grant.user) }),
      });
    });
    app.post('/oauth2/get_token_info', async (request, reply) => {
      const user = tokens.get((request.body as Record<string, string>).access_token ?? '');
      if (!user) return text(reply, 400, error('/oauth2/get_token_info', 21327, 'expired_token'));
      return text(reply, 200, { uid: Number(uidOf(user)), appkey: weiboClient.clientId, scope: '', create_at: 1, expire_in: 157679999 });
    });
    app.get('/2/users/show.json', async (request, reply) => {
      const query = request.query as Record<string, string>;
      const user = tokens.get(query.access_token ?? '');
      if (!user) return text(reply, 403, error('/2/users/show.json', 21332, 'invalid_access_token'));
      if (query.uid !== uidOf(user)) return text(reply, 400, error('/2/users/show.json', 20003, 'User does not exists!'));
      return text(reply, 200, {
        id: Number(uidOf(user)), idstr: uidOf(user), screen_name: `weibo_${user}`, name: user,
        profile_image_url: 'https://tva1.sinaimg.cn/crop.0.0.180.180.50/small.jpg', avatar_large: 'https://tva1.sinaimg.cn/crop.0.0.180.180.180/large.jpg',
      });
    });
  });
}

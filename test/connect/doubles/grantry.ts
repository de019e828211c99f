import { createHash } from 'node:crypto';
import { startDouble, issueCode, type Double } from './server.ts';
import { basic } from '../../helpers/basic.ts';

// What the grantry preset expects of a Grantry provider, until the real one's endpoints land: RFC
// 8414 metadata, RFC 9207 iss on callbacks, `uid` in the token response, /api/me, and the
// password and client-credentials grants for server-side use.

export const grantryClient = { clientId: 'grantry-site', clientSecret: 'grantry-site-secret' };

export interface GrantryDouble extends Double {
  /** How many client-credentials tokens were issued. */
  clientCredentialsIssued: number;
}

export async function startGrantry(): Promise<GrantryDouble> {
  const codes = new Map<string, { user: string; challenge?: string; redirectUri: string }>();
  const tokens = new Map<string, string | null>();
  let issuedCc = 0;
  const double = (await startDouble((app, d) => {
    const issuer = () => d.url;
    const clientOk = (header: string | undefined) =>
      header === basic(grantryClient.clientId, grantryClient.clientSecret);
    const issue = (user: string | null, extra: Record<string, unknown> = {}) => {
      const token = `gr_${Math.random().toString(36).slice(2)}`;
      tokens.set(token, user);
      return { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: 'profile email', ...(user ? { uid: `uid-${user}` } : {}), ...extra };
    };
    app.get('/.well-known/oauth-authorization-server', async () => ({
      issuer: issuer(),
      authorization_endpoint: `${issuer()}/authorize`,
      token_endpoint: `${issuer()}/token`,
      revocation_endpoint: `${issuer()}/revoke`,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      authorization_response_iss_parameter_supported: true,
    }));
    app.get('/authorize', async (request, reply) => {
      const target = new URL(issueCode(d, codes, request.query as Record<string, string>));
      target.searchParams.set('iss', issuer());
      return reply.redirect(target.href);
    });
    app.post('/token', async (request, reply) => {
      const body = request.body as Record<string, string>;
      if (!clientOk(request.headers.authorization)) return reply.code(401).send({ error: 'invalid_client' });
      if (body.grant_type === 'client_credentials') {
        issuedCc += 1;
        (double as GrantryDouble).clientCredentialsIssued = issuedCc;
        return issue(null, { expires_in: 120 });
      }
      if (body.grant_type === 'password') {
        if (body.password !== 'right password') return reply.code(400).send({ error: 'invalid_grant', error_description: 'wrong username or password' });
        return issue(body.username!, { refresh_token: `rt_${body.username}` });
      }
      if (body.grant_type === 'refresh_token') {
        const user = /^rt_(.+)$/.exec(body.refresh_token ?? '')?.[1];
        if (!user) return reply.code(400).send({ error: 'invalid_grant' });
        return issue(user, { refresh_token: `rt_${user}` });
      }
      const grant = codes.get(body.code ?? '');
      codes.delete(body.code ?? '');
      const verifier = createHash('sha256').update(body.code_verifier ?? '').digest('base64url');
      if (!grant || grant.challenge !== verifier || grant.redirectUri !== body.redirect_uri) return reply.code(400).send({ error: 'invalid_grant' });
      return issue(grant.user, { refresh_token: `rt_${grant.user}` });
    });
    app.post('/revoke', async (request) => {
      tokens.delete((request.body as Record<string, string>).token ?? '');
      return {};
    });
    app.get('/api/me', async (request, reply) => {
      const user = tokens.get(String(request.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!user) return reply.code(401).send({ error: 'invalid_token' });
      return { uid: `uid-${user}`, username: user, display_name: `Grantry ${user}`, email: `${user}@grantry.example` };
    });
  })) as GrantryDouble;
  double.clientCredentialsIssued = 0;
  return double;
}

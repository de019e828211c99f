import { createHash } from 'node:crypto';
import { startDouble, issueCode, type Double } from './server.ts';

// GitHub as documented: the token endpoint answers form-encoded unless asked for JSON and reports
// errors with HTTP 200; the API refuses requests without a User-Agent; /user/emails says which
// address is primary and verified.

export const githubClient = { clientId: 'Iv1.github-client', clientSecret: 'github-secret' };

export function startGitHub(options: { emails?: Array<{ email: string; primary: boolean; verified: boolean }> } = {}): Promise<Double> {
  const codes = new Map<string, { user: string; challenge?: string; redirectUri: string }>();
  const tokens = new Map<string, string>();
  return startDouble((app, double) => {
    app.get('/login/oauth/authorize', async (request, reply) => reply.redirect(issueCode(double, codes, request.query as Record<string, string>)));
    app.post('/login/oauth/access_token', async (request, reply) => {
      const body = request.body as Record<string, string>;
      const wantsJson = String(request.headers.accept ?? '').includes('application/json');
      const answer = (fields: Record<string, string>) =>
        wantsJson ? reply.type('application/json; charset=utf-8').send(fields) : reply.type('application/x-www-form-urlencoded').send(new URLSearchParams(fields).toString());
      const grant = codes.get(body.code ?? '');
      codes.delete(body.code ?? '');
      const verifierOk = !grant?.challenge || createHash('sha256').update(body.code_verifier ?? '').digest('base64url') === grant.challenge;
      if (double.failNextToken || !grant || !verifierOk || body.client_secret !== githubClient.clientSecret) {
        double.failNextToken = false;
        // Yes, 200.
        return answer({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com/apps/troubleshooting' });
      }
      const token = `gho_${Math.random().toString(36).slice(2)}`;
      tokens.set(token, grant.user);
      return answer({ access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    });
    const authorized = (headers: Record<string, unknown>) => tokens.get(String(headers.authorization ?? '').replace(/^(Bearer|token) /i, ''));
    app.addHook('onRequest', async (request, reply) => {
      if ((request.url.startsWith('/user')) && !request.headers['user-agent']) {
        return reply.code(403).type('text/plain').send('Request forbidden by administrative rules. Please make sure your request has a User-Agent header.');
      }
    });
    app.get('/user', async (request, reply) => {
      const user = authorized(request.headers);
      if (!user) return reply.code(401).send({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      return { login: user, id: 1000 + user.length, name: `GitHub ${user}`, email: `${user}@public.example`, avatar_url: `https://avatars.example/${user}` };
    });
    app.get('/user/emails', async (request, reply) => {
      const user = authorized(request.headers);
      if (!user) return reply.code(401).send({ message: 'Bad credentials' });
      return options.emails ?? [
        { email: `${user}@public.example`, primary: false, verified: false, visibility: 'public' },
        { email: `${user}@verified.example`, primary: true, verified: true, visibility: 'private' },
      ];
    });
  });
}

import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { startDouble, type Double } from './server.ts';

// Google as documented (developers.google.com/identity/openid-connect/openid-connect): a discovery
// document, RS256 ID tokens signed with a key from the JWKS at /oauth2/v3/certs, a token endpoint
// taking client_secret_post and PKCE, answering errors with HTTP 400 {error, error_description},
// and userinfo (which the preset does not need: everything is in the ID token).

export const googleClient = { clientId: '1234567890-abc.apps.googleusercontent.com', clientSecret: 'GOCSPX-google-double-secret' };
export const googleIssuer = 'https://accounts.google.com';

export interface GooglePerson {
  sub: string;
  name?: string;
  email?: string;
  email_verified?: boolean;
  picture?: string;
}

export interface GoogleDouble extends Double {
  /** The people who can log in, by the name nextUser holds. */
  people: Map<string, GooglePerson>;
  /** Overrides for the next ID token's claims (a wrong audience, the issuer without https://). */
  nextIdTokenClaims: Record<string, unknown> | null;
  /** Signs the next ID token with a key that is not in the JWKS. */
  signNextWithUnknownKey: boolean;
}

interface Grant {
  user: string;
  challenge?: string;
  redirectUri: string;
  nonce?: string;
}

export async function startGoogle(): Promise<GoogleDouble> {
  const published = await generateKeyPair('RS256');
  const unpublished = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(published.publicKey)), kid: 'google-double-1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, Grant>();
  const accessTokens = new Map<string, string>();
  const double = (await startDouble((app, d) => {
    const g = d as GoogleDouble;
    app.get('/.well-known/openid-configuration', async () => ({
      issuer: googleIssuer,
      authorization_endpoint: `${d.url}/o/oauth2/v2/auth`,
      token_endpoint: `${d.url}/token`,
      userinfo_endpoint: `${d.url}/v1/userinfo`,
      revocation_endpoint: `${d.url}/revoke`,
      jwks_uri: `${d.url}/oauth2/v3/certs`,
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    }));
    app.get('/oauth2/v3/certs', async () => ({ keys: [jwk] }));
    app.get('/o/oauth2/v2/auth', async (request, reply) => {
      const query = request.query as Record<string, string>;
      if (query.client_id !== googleClient.clientId || query.response_type !== 'code') return reply.code(400).type('text/html').send('<p>Error 400: invalid_request</p>');
      const code = `4/0Ab${Math.random().toString(36).slice(2)}`;
      codes.set(code, { user: d.nextUser, challenge: query.code_challenge, redirectUri: query.redirect_uri!, nonce: query.nonce });
      const target = new URL(query.redirect_uri!);
      target.searchParams.set('state', query.state ?? '');
      target.searchParams.set('code', code);
      target.searchParams.set('scope', 'email profile openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile');
      target.searchParams.set('authuser', '0');
      target.searchParams.set('prompt', 'consent');
      return reply.redirect(target.href);
    });
    app.post('/token', async (request, reply) => {
      const body = request.body as Record<string, string>;
      const grant = codes.get(body.code ?? '');
      codes.delete(body.code ?? '');
      const invalidGrant = () => reply.code(400).send({ error: 'invalid_grant', error_description: 'Bad Request' });
      if (body.client_id !== googleClient.clientId || body.client_secret !== googleClient.clientSecret) {
        return reply.code(401).send({ error: 'invalid_client', error_description: 'Unauthorized' });
      }
      if (g.failNextToken) {
        g.failNextToken = false;
        return invalidGrant();
      }
      const verifierOk = !grant?.challenge || createHash('sha256').update(body.code_verifier ?? '').digest('base64url') === grant.challenge;
      if (body.grant_type !== 'authorization_code' || !grant || !verifierOk || body.redirect_uri !== grant.redirectUri) return invalidGrant();
      const person = g.people.get(grant.user) ?? { sub: `1${[...grant.user].map((c) => c.charCodeAt(0)).join('')}` };
      const accessToken = `ya29.${Math.random().toString(36).slice(2)}`;
      accessTokens.set(accessToken, grant.user);
      const overrides = g.nextIdTokenClaims ?? {};
      g.nextIdTokenClaims = null;
      const key = g.signNextWithUnknownKey ? unpublished.privateKey : published.privateKey;
      g.signNextWithUnknownKey = false;
      const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
      const idToken = await new SignJWT({
        iss: googleIssuer, azp: googleClient.clientId, aud: googleClient.clientId, at_hash: atHash,
        ...(grant.nonce ? { nonce: grant.nonce } : {}), ...person, ...overrides,
      })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid!, typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key);
      return { access_token: accessToken, expires_in: 3599, scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile', token_type: 'Bearer', id_token: idToken };
    });
    app.get('/v1/userinfo', async (request, reply) => {
      const user = accessTokens.get(String(request.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!user) return reply.code(401).send({ error: 'invalid_request', error_description: 'Invalid Credentials' });
      return g.people.get(user) ?? {};
    });
    app.post('/revoke', async (request, reply) => {
      const token = (request.body as Record<string, string>).token ?? '';
      if (!accessTokens.delete(token)) return reply.code(400).send({ error: 'invalid_token', error_description: 'Token expired or revoked' });
      return {};
    });
  })) as GoogleDouble;
  double.people = new Map();
  double.nextIdTokenClaims = null;
  double.signNextWithUnknownKey = false;
  return double;
}

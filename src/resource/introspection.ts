// Opaque access tokens at grantry/resource: asked about at the issuer's introspection endpoint
// (RFC 7662), the resource server authenticating as a confidential client (client_secret_basic,
// RFC 6749 §2.3.1). An active answer is remembered for a short while (RFC 7662 §4: a cache trades
// how soon a revocation is seen for fewer calls), never beyond the token's exp, keyed by the
// token's SHA-256 (the verified answer it holds carries the token, as every verified token does);
// an inactive one is not remembered. The
// answer is checked as a JWT's claims are: the audience must name this resource, the token must
// be an access token, unexpired, from the issuer asked.

import type { JWTPayload } from 'jose';
import { sha256 } from '../lib/crypto.ts';
import { ExpiringCache } from './cache.ts';
import { resourceDefaults } from './defaults.ts';
import type { ResourceError, VerifiedAccessToken } from './index.ts';

export interface IntrospectionOptions {
  /** The resource server's app at the issuer (a confidential app; with Grantry, of type `service`). */
  clientId: string;
  clientSecret: string;
  /** Whose introspection endpoint is asked (default the first of authorizationServers); one of authorizationServers. */
  issuer?: string;
  /** How long an active answer is reused (default 30 s); never beyond the token's exp. 0: ask every time. */
  cacheSeconds?: number;
}

export interface IntrospectionContext {
  resource: string;
  fetcher: typeof fetch;
  /** The issuer's introspection_endpoint, from its RFC 8414 metadata; rejects with a 503 ResourceError when it cannot be read. */
  endpointOf(issuer: string): Promise<string | undefined>;
  nowSeconds(): number;
  clockTolerance: number;
  cacheEntries: number;
  invalid(description: string): ResourceError;
  unavailable(description: string): ResourceError;
}

/** What RFC 7662 §2.2 says an answer may hold, as far as a resource server reads it. */
interface IntrospectionAnswer extends JWTPayload {
  active: boolean;
  scope?: string;
  client_id?: string;
  token_type?: string;
}

export function opaqueTokenVerifier(options: IntrospectionOptions, context: IntrospectionContext, issuers: readonly string[]) {
  const issuer = options.issuer ?? issuers[0];
  if (issuer === undefined || !issuers.includes(issuer)) throw new Error('introspection.issuer must be one of authorizationServers');
  const cacheSeconds = options.cacheSeconds ?? resourceDefaults.introspectionCacheSeconds;
  const cache = new ExpiringCache<VerifiedAccessToken>(context.cacheEntries);
  // Many requests with one new token at once make one call: the answer they wait for is shared.
  const pending = new Map<string, Promise<VerifiedAccessToken>>();
  // RFC 6749 §2.3.1: each part form-urlencoded before they are joined.
  const credentials = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`;

  async function ask(token: string): Promise<IntrospectionAnswer> {
    const endpoint = await context.endpointOf(issuer!);
    if (!endpoint) throw context.unavailable('the issuer publishes no introspection endpoint');
    let response: Response;
    try {
      response = await context.fetcher(endpoint, {
        method: 'POST',
        headers: { authorization: credentials, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(resourceDefaults.fetchTimeoutMs),
      });
    } catch {
      throw context.unavailable('the issuer\'s introspection endpoint cannot be reached now');
    }
    // Not the token's fault (a 401 here is this resource's own credentials): the client keeps its token.
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw context.unavailable('the issuer\'s introspection endpoint cannot be used now');
    }
    let answer: unknown;
    try {
      answer = await response.json();
    } catch {
      throw context.unavailable('the issuer\'s introspection endpoint answered something unreadable');
    }
    if (typeof answer !== 'object' || answer === null || typeof (answer as { active?: unknown }).active !== 'boolean') {
      throw context.unavailable('the issuer\'s introspection endpoint answered something unreadable');
    }
    return answer as IntrospectionAnswer;
  }

  /** The checks a JWT's claims get, on the issuer's answer. */
  function accept(token: string, answer: IntrospectionAnswer, now: number): VerifiedAccessToken {
    // §2.2: anything expired, revoked or unknown is just inactive.
    if (!answer.active) throw context.invalid('the token is not active');
    // A refresh token (introspected for the app it belongs to) is not a bearer access token.
    if (answer.token_type !== undefined && String(answer.token_type).toLowerCase() !== 'bearer') throw context.invalid('the token is not an access token');
    if (answer.iss !== undefined && answer.iss !== issuer) throw context.invalid('the token is not from an accepted issuer');
    if (typeof answer.exp === 'number' && answer.exp <= now - context.clockTolerance) throw context.invalid('the token has expired');
    if (typeof answer.nbf === 'number' && answer.nbf > now + context.clockTolerance) throw context.invalid('the token is not yet valid');
    const audience = answer.aud === undefined ? [] : Array.isArray(answer.aud) ? answer.aud.map(String) : [String(answer.aud)];
    // RFC 8707, RFC 9068 §4: a token for another API (or naming none) is not this one's.
    if (!audience.includes(context.resource)) throw context.invalid('the token is for another resource');
    return {
      token,
      issuer: typeof answer.iss === 'string' ? answer.iss : issuer!,
      subject: typeof answer.sub === 'string' ? answer.sub : '',
      clientId: typeof answer.client_id === 'string' ? answer.client_id : '',
      scopes: typeof answer.scope === 'string' ? answer.scope.split(' ').filter(Boolean) : [],
      // An answer without exp (RFC 7662 makes it optional) is good until its cache entry ends.
      expiresAt: typeof answer.exp === 'number' ? answer.exp : now + cacheSeconds,
      audience,
      claims: answer as VerifiedAccessToken['claims'],
    };
  }

  return async function verifyOpaque(token: string): Promise<VerifiedAccessToken> {
    if (token.length > resourceDefaults.opaqueTokenMaxLength) throw context.invalid('the token is too long');
    const key = sha256(token);
    const remembered = cache.get(key, context.nowSeconds());
    if (remembered) return remembered;
    let answer = pending.get(key);
    if (!answer) {
      answer = ask(token).then((body) => {
        const now = context.nowSeconds();
        const verified = accept(token, body, now);
        cache.set(key, verified, Math.min(now + cacheSeconds, verified.expiresAt), now);
        return verified;
      });
      pending.set(key, answer);
      answer.then(() => pending.delete(key), () => pending.delete(key));
    }
    return answer;
  };
}

// grantry/resource: what an API (or an MCP server) uses to accept Grantry's access tokens.
//
//   const api = protectedResource({ resource: 'https://api.example.com/mcp', authorizationServers: ['https://id.example.com'] });
//   app.use(api.express({ scopes: ['tools:read'] }));      // or: await app.register(api.fastify({ scopes }))
//   const claims = await api.verify(request.headers.authorization, { scopes: ['tools:read'] });
//
// A JWT access token (RFC 9068) is verified here, with the issuer's keys (its JWKS, found through
// its RFC 8414 metadata, cached, and fetched again for an unknown kid no more than once every 30
// seconds; or the keys the `keys` option hands over, for a server that holds them): its signature
// and algorithm, typ at+jwt, iss, aud (this resource: RFC 8707), exp and nbf. A verified JWT is
// remembered (bounded, until its exp), so that an API called many times with one token verifies
// its signature once. Grantry issues tokens for a registered API as JWTs unless the API was
// registered with opaque tokens; an opaque token (for such an API, or, from an app whose token
// format is opaque, for the issuer's own API) is asked about at the issuer's
// introspection endpoint (RFC 7662, ./introspection.ts) when the `introspection` option gives this
// resource's credentials, and refused otherwise. Errors carry their status and the exact
// WWW-Authenticate value (RFC 6750 §3, RFC 9728 §5.1: resource_metadata names where this
// resource's metadata is). Defaults: ./defaults.ts.

import type { FastifyPluginAsync } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ExpiringCache } from './cache.ts';
import { resourceDefaults } from './defaults.ts';
import { opaqueTokenVerifier, type IntrospectionOptions } from './introspection.ts';

export type { IntrospectionOptions } from './introspection.ts';
export { resourceDefaults } from './defaults.ts';

export interface ProtectedResourceOptions {
  /** This API's URI: the audience its tokens carry (RFC 8707), and the `resource` of its metadata. */
  resource: string;
  /** The issuers whose tokens it accepts (RFC 9728 §2 authorization_servers). */
  authorizationServers: string[];
  /** The scopes it understands, for its metadata (RFC 9728 §2 scopes_supported). */
  scopesSupported?: string[];
  /** A name for people (RFC 9728 §2 resource_name). */
  resourceName?: string;
  /** Seconds of clock difference forgiven on exp and nbf (default 5). */
  clockTolerance?: number;
  /** The algorithms a token may be signed with (default EdDSA, ES256, RS256; never none or HMAC). */
  algorithms?: string[];
  /**
   * The least time between two fetches of an issuer's keys (default 30 s): a token naming an
   * unknown key fetches them again, but a flood of made-up key ids costs one fetch. Grantry
   * publishes a rotated key before it signs with it (grantry keys rotate --publish-for), so a
   * resource learns it ahead.
   */
  jwksRefetchFloorSeconds?: number;
  /** How long the keys are kept before they are fetched again anyway (default 10 minutes). */
  jwksCacheSeconds?: number;
  /** For tests and proxies: how to fetch (default the global fetch). */
  fetch?: typeof fetch;
  /**
   * The issuer's public keys, handed over instead of fetched: for a server that holds them (the
   * provider's own /api/me). Given a token's kid and issuer, the key, or undefined for a key the
   * issuer does not publish (or no longer does: a remembered token whose key is gone is refused).
   */
  keys?: (kid: string | undefined, issuer: string) => KeyObject | CryptoKey | undefined | Promise<KeyObject | CryptoKey | undefined>;
  /**
   * Opaque tokens: this resource's credentials at the issuer's introspection endpoint (RFC 7662),
   * and how long an answer is reused (default 30 s, never beyond the token's exp). Without it, a
   * token that is not a JWT is refused.
   */
  introspection?: IntrospectionOptions;
  /** How many verified tokens are remembered (default 10,000; each of JWTs and introspection answers). 0: none. */
  verifiedCacheEntries?: number;
  /** The clock, in milliseconds since the epoch (default Date.now): tests move it instead of waiting. */
  now?: () => number;
}

/** What a verified token says. */
export interface VerifiedAccessToken {
  token: string;
  issuer: string;
  /** The person, as the app knows them (or the app itself, for its own token). */
  subject: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch (an introspection answer without exp: the end of its cache entry). */
  expiresAt: number;
  audience: string[];
  claims: JWTPayload & Record<string, unknown>;
}

/** A refusal, as an API answers it: the status and the WWW-Authenticate header, word for word. */
export class ResourceError extends Error {
  constructor(
    /** 401 for a token (or none) it cannot accept; 403 for a missing scope; 400 for a malformed request; 503 when the issuer cannot be reached. */
    readonly status: 400 | 401 | 403 | 503,
    /** invalid_token, insufficient_scope, invalid_request, temporarily_unavailable; undefined when no token came at all (RFC 6750 §3.1). */
    readonly code: 'invalid_token' | 'insufficient_scope' | 'invalid_request' | 'temporarily_unavailable' | undefined,
    readonly wwwAuthenticate: string,
    description: string,
  ) {
    super(description);
    this.name = 'ResourceError';
  }

  /** The JSON body to send beside the header. */
  toJSON() {
    return this.code ? { error: this.code, error_description: this.message } : { error_description: this.message };
  }
}

/**
 * The MCP TypeScript SDK's error classes that its requireBearerAuth answers (it tells them apart
 * with instanceof, and answers anything else with 500): pass them from
 * '@modelcontextprotocol/sdk/server/auth/errors.js'.
 */
export interface McpErrorClasses {
  InvalidTokenError: new (message: string) => Error;
  ServerError?: new (message: string) => Error;
}

/** What the official MCP TypeScript SDK's requireBearerAuth asks of a verifier (its OAuthTokenVerifier, returning AuthInfo). */
export interface McpTokenVerifier {
  verifyAccessToken(token: string): Promise<{ token: string; clientId: string; scopes: string[]; expiresAt?: number; resource?: URL; extra?: Record<string, unknown> }>;
}

type Request = { method?: string; url?: string; headers: Record<string, string | string[] | undefined> };
type ExpressRequest = { method?: string; url?: string; originalUrl?: string; headers: { authorization?: string } };
type ExpressResponse = { status(code: number): { json(body: unknown): unknown }; setHeader(name: string, value: string): unknown; json(body: unknown): unknown };

/** Never accepted, whatever the options say: no signature, or a shared secret the public keys would be taken for. */
const refusedAlgorithms = /^(none|HS\d+)$/i;
const fetchTimeoutMs = resourceDefaults.fetchTimeoutMs;

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/** Three dot-separated parts (a JWS in compact form), counted without splitting the token. */
function isJwtShaped(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return second >= 0 && token.indexOf('.', second + 1) < 0;
}

/** RFC 8414 §3.1: the issuer's metadata URL, the well-known part inserted between its host and its path. */
function serverMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/** RFC 9728 §3.1: the metadata's URL, with the well-known part inserted before the resource's path. */
export function metadataUrlOf(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

export function protectedResource(options: ProtectedResourceOptions) {
  const fetcher = options.fetch ?? fetch;
  const algorithms = (options.algorithms ?? resourceDefaults.algorithms).filter((alg) => !refusedAlgorithms.test(alg));
  const clockTolerance = options.clockTolerance ?? resourceDefaults.clockToleranceSeconds;
  const jwksCacheSeconds = options.jwksCacheSeconds ?? resourceDefaults.jwksCacheSeconds;
  const clock = options.now ?? Date.now;
  const nowSeconds = () => Math.floor(clock() / 1000);
  const metadataUrl = metadataUrlOf(options.resource);
  // Issuer identifiers are compared exactly (RFC 8414 §3.3, RFC 9728 §3.3).
  const issuers = [...options.authorizationServers];
  const serverMetadata = new Map<string, Promise<{ jwks_uri?: string; introspection_endpoint?: string }>>();
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  const challenge = (parts: Record<string, string> = {}) =>
    `Bearer ${Object.entries({ ...parts, resource_metadata: metadataUrl }).map(([name, value]) => `${name}="${value.replace(/["\\]/g, '')}"`).join(', ')}`;
  const invalid = (description: string) => new ResourceError(401, 'invalid_token', challenge({ error: 'invalid_token', error_description: description }), description);
  // The issuer cannot be reached: not the token's fault (RFC 6750 §3.1 keeps invalid_token for bad tokens), so the client keeps it.
  const unavailable = (description: string) => new ResourceError(503, 'temporarily_unavailable', challenge(), description);

  function issuerMetadata(issuer: string) {
    let found = serverMetadata.get(issuer);
    if (!found) {
      found = fetcher(serverMetadataUrl(issuer), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(fetchTimeoutMs) }).then(async (response) => {
        if (!response.ok) throw new Error(`the metadata of ${issuer} answered ${response.status}`);
        const metadata = (await response.json()) as { issuer?: string; jwks_uri?: string; introspection_endpoint?: string };
        // RFC 8414 §3.3: the document must be the issuer's own.
        if (metadata.issuer !== issuer) throw new Error(`the metadata at ${serverMetadataUrl(issuer)} names another issuer`);
        return metadata;
      });
      // A failure is remembered for a few seconds, then asked again: an outage is not a request per request.
      found.catch(() => setTimeout(() => serverMetadata.delete(issuer), resourceDefaults.metadataFailureMemoryMs).unref());
      serverMetadata.set(issuer, found);
    }
    return found;
  }

  async function keySetOf(issuer: string) {
    let keys = keySets.get(issuer);
    if (!keys) {
      let jwksUri: string | undefined;
      try {
        jwksUri = (await issuerMetadata(issuer)).jwks_uri;
      } catch {
        throw unavailable('the issuer\'s metadata cannot be read now');
      }
      if (!jwksUri) throw invalid('the issuer publishes no keys');
      // jose fetches the set again for an unknown kid, at most once per cooldown: a flood of made-up kids costs one fetch.
      keys = createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: (options.jwksRefetchFloorSeconds ?? resourceDefaults.jwksRefetchFloorSeconds) * 1000,
        cacheMaxAge: jwksCacheSeconds * 1000,
        timeoutDuration: fetchTimeoutMs,
        [customFetch]: fetcher,
      });
      keySets.set(issuer, keys);
    }
    return keys;
  }

  /** Handed-over keys (the `keys` option), as jose asks for them: a kid the issuer does not publish is refused as the JWKS would be. */
  const handedKeys = (issuer: string): JWTVerifyGetKey => async (header) => {
    let key;
    try {
      key = await options.keys!(header.kid, issuer);
    } catch {
      throw unavailable('the issuer\'s keys cannot be read now');
    }
    if (!key) throw invalid('the token was signed by a key the issuer does not publish');
    return key;
  };

  // A signature that verified once verifies forever, and an API is called many times with one token:
  // remembering verified JWTs spares each later call the signature check (≈ 130 µs of Ed25519
  // through jose here). Each entry ends at the token's exp (with the clock tolerance, as jose
  // accepts it), and no later than the keys would be fetched again (jwksCacheSeconds), so that a
  // key the issuer withdrew takes its tokens with it as soon as this resource can know; handed-over
  // keys are asked again on every hit.
  const verifiedJwts = new ExpiringCache<{ verified: VerifiedAccessToken; kid: string | undefined }>(options.verifiedCacheEntries ?? resourceDefaults.verifiedCacheEntries);
  const verifyOpaque = options.introspection
    ? opaqueTokenVerifier(options.introspection, {
        resource: options.resource,
        fetcher,
        async endpointOf(issuer) {
          try {
            return (await issuerMetadata(issuer)).introspection_endpoint;
          } catch {
            throw unavailable('the issuer\'s metadata cannot be read now');
          }
        },
        nowSeconds,
        clockTolerance,
        cacheEntries: options.verifiedCacheEntries ?? resourceDefaults.verifiedCacheEntries,
        invalid,
        unavailable,
      }, issuers)
    : undefined;

  /**
   * A JWT verified before, if its key still stands: at once when the handed-over keys answer at once
   * (the hot path of an API called many times with one token takes no extra turn of the event
   * loop), a promise when they answer with one; undefined when it is to be verified.
   */
  function rememberedJwt(token: string): VerifiedAccessToken | undefined | Promise<VerifiedAccessToken | undefined> {
    const remembered = verifiedJwts.get(token, nowSeconds());
    if (remembered === undefined) return undefined;
    if (!options.keys) return remembered.verified;
    const key = options.keys(remembered.kid, remembered.verified.issuer);
    // Any thenable is awaited (a promise of another realm too): only a key itself is taken at once.
    if (isThenable(key)) return Promise.resolve(key).then((found) => (found ? remembered.verified : forgetJwt(token)));
    return key ? remembered.verified : forgetJwt(token);
  }

  /** A remembered JWT whose key the issuer no longer publishes: verified again, and so refused. */
  function forgetJwt(token: string): undefined {
    verifiedJwts.delete(token);
    return undefined;
  }

  async function verifyJwt(token: string): Promise<VerifiedAccessToken> {
    const now = nowSeconds();
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid('the token is malformed');
    }
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw invalid('the token is not signed with an accepted algorithm');
    let issuer: unknown;
    try {
      issuer = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).iss;
    } catch {
      throw invalid('the token is malformed');
    }
    if (typeof issuer !== 'string' || !issuers.includes(issuer)) throw invalid('the token is not from an accepted issuer');
    try {
      const { payload } = await jwtVerify(token, options.keys ? handedKeys(issuer) : await keySetOf(issuer), {
        algorithms,
        issuer,
        audience: options.resource,
        typ: 'at+jwt',
        clockTolerance,
        currentDate: new Date(clock()),
        requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
      });
      const verified = verifiedOf(token, payload);
      verifiedJwts.set(token, { verified, kid: header.kid }, Math.min(verified.expiresAt + clockTolerance, now + jwksCacheSeconds), now);
      return verified;
    } catch (error) {
      if (error instanceof ResourceError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw invalid('the token has expired');
      if (error instanceof joseErrors.JWKSNoMatchingKey) throw invalid('the token was signed by a key the issuer does not publish');
      // A TypeError is a fetch that failed when the keys are fetched; with keys handed over, it is
      // jose refusing a key of another type than the token's alg names (RS256 on an Ed25519 key): the token's fault.
      if (error instanceof TypeError && options.keys) throw invalid('the token signature or claims are invalid');
      if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || error instanceof TypeError) throw unavailable('the issuer\'s keys cannot be read now');
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') throw invalid('the token is for another resource');
      throw invalid('the token signature or claims are invalid');
    }
  }

  function verifiedOf(token: string, claims: JWTPayload & Record<string, unknown>): VerifiedAccessToken {
    const scope = typeof claims.scope === 'string' ? claims.scope : '';
    return {
      token,
      issuer: String(claims.iss ?? issuers[0]),
      subject: String(claims.sub ?? ''),
      clientId: String(claims.client_id ?? ''),
      scopes: scope.split(' ').filter(Boolean),
      expiresAt: Number(claims.exp ?? 0),
      audience: claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud],
      claims,
    };
  }

  /** The token in a header value (RFC 6750 §2.1), verified, with the scopes it must hold. */
  async function verify(authorization: string | string[] | undefined, required: { scopes?: string[] } = {}): Promise<VerifiedAccessToken> {
    const value = Array.isArray(authorization) ? undefined : authorization;
    if (value === undefined || !/^\s*bearer\b/i.test(value)) {
      throw new ResourceError(401, undefined, challenge(), 'an access token is required, in the Authorization header');
    }
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(value);
    // RFC 6750 §3.1: a malformed request is invalid_request, 400.
    if (!match) throw new ResourceError(400, 'invalid_request', challenge({ error: 'invalid_request', error_description: 'the Authorization header does not hold a well-formed bearer token' }), 'the Authorization header does not hold a well-formed bearer token');
    const token = match[1]!;
    let verified: VerifiedAccessToken;
    if (isJwtShaped(token)) {
      const remembered = rememberedJwt(token);
      verified = (isThenable(remembered) ? await remembered : remembered) ?? (await verifyJwt(token));
    }
    else if (verifyOpaque) verified = await verifyOpaque(token);
    else throw invalid('the token is not a JWT access token');
    const missing = required.scopes?.length ? required.scopes.filter((scope) => !verified.scopes.includes(scope)) : undefined;
    if (missing !== undefined && missing.length > 0) {
      const description = `this resource needs the scope ${missing.join(' ')}`;
      throw new ResourceError(403, 'insufficient_scope', challenge({ error: 'insufficient_scope', error_description: description, scope: (required.scopes ?? []).join(' ') }), description);
    }
    return verified;
  }

  /** The RFC 9728 §2 document. */
  function metadata() {
    return {
      resource: options.resource,
      authorization_servers: issuers,
      ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
      bearer_methods_supported: ['header'],
      ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    };
  }

  const metadataPath = new URL(metadataUrl).pathname;
  const isMetadataRequest = (request: Request) => (request.method === 'GET' || request.method === 'HEAD') && (request.url ?? '').split('?')[0] === metadataPath;

  return {
    metadataUrl,
    /** The metadata's path on this resource's origin: mount a handler there when the middleware is not at the root. */
    metadataPath,
    metadata,
    verify,

    /**
     * Express (or Connect-style) middleware: answers GET of the metadata's path, and guards every
     * other request it sees, putting the verified token on `request.auth`.
     */
    express(required: { scopes?: string[] } = {}) {
      // Generic in the request and response, so that it is Express's RequestHandler without this package naming Express's types.
      return <Req extends ExpressRequest, Res extends ExpressResponse>(request: Req, response: Res, next: (error?: unknown) => void): void => {
        if (isMetadataRequest({ method: request.method, url: request.originalUrl ?? request.url, headers: {} })) {
          response.setHeader('cache-control', 'max-age=300');
          response.json(metadata());
          return;
        }
        verify(request.headers.authorization, required).then(
          (verified) => {
            (request as { auth?: VerifiedAccessToken }).auth = verified;
            next();
          },
          (error) => {
            if (!(error instanceof ResourceError)) return next(error);
            response.setHeader('www-authenticate', error.wwwAuthenticate);
            response.setHeader('cache-control', 'no-store');
            response.status(error.status).json(error.toJSON());
          },
        );
      };
    },

    /**
     * A Fastify plugin: serves the metadata, and guards the routes registered beside it in the same
     * plugin scope, putting the verified token on `request.auth`.
     */
    fastify(required: { scopes?: string[] } = {}) {
      const plugin: FastifyPluginAsync = async (app) => {
        app.get(metadataPath, async (_request, reply) => reply.header('cache-control', 'max-age=300').send(metadata()));
        app.addHook('onRequest', async (request, reply) => {
          if (isMetadataRequest(request)) return;
          try {
            (request as unknown as { auth: VerifiedAccessToken }).auth = await verify(request.headers.authorization, required);
          } catch (error) {
            if (!(error instanceof ResourceError)) throw error;
            return reply.code(error.status).header('www-authenticate', error.wwwAuthenticate).header('cache-control', 'no-store').send(error.toJSON());
          }
        });
      };
      // Fastify keeps hooks inside a plugin's own scope unless told otherwise: the routes registered beside it are guarded.
      (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
      return plugin;
    },

    /**
     * An OAuthTokenVerifier for the official MCP TypeScript SDK's requireBearerAuth, given the
     * SDK's error classes so that a refused token is its 401 (with resourceMetadataUrl: this
     * resource's metadataUrl), not a 500:
     *
     *   requireBearerAuth({ verifier: api.mcpVerifier({ InvalidTokenError, ServerError }), resourceMetadataUrl: api.metadataUrl })
     */
    mcpVerifier(errors: McpErrorClasses): McpTokenVerifier {
      return {
        async verifyAccessToken(token: string) {
          try {
            const verified = await verify(`Bearer ${token}`);
            return { token, clientId: verified.clientId, scopes: verified.scopes, expiresAt: verified.expiresAt, resource: new URL(options.resource), extra: { subject: verified.subject } };
          } catch (error) {
            if (!(error instanceof ResourceError)) throw error;
            if (error.status === 503 && errors.ServerError) throw new errors.ServerError(error.message);
            throw new errors.InvalidTokenError(error.message);
          }
        },
      };
    },
  };
}

export type ProtectedResource = ReturnType<typeof protectedResource>;

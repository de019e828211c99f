import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { DemoSite } from '../../src/demo/index.ts';
import { deriveKey, hmac, randomToken } from '../../src/lib/crypto.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { startDemoFor } from '../helpers/demo.ts';
import { startProvider, testSecret, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { postgresKind, sqliteKind } from '../helpers/stores.ts';
import { basicAuth, makeCode, postForm } from '../provider/token-fixtures.ts';

// Property-based fuzzing over real HTTP: generated malformed, oversized, repeated, wrongly typed
// and wrongly encoded parameters, bodies and headers, sent to every endpoint of the provider (on
// both stores) and of the demo site. Every answer must come in time, below 500, in the shape the
// endpoint's RFC gives its errors. GRANTRY_FUZZ_RUNS sets the number of generated requests
// (`npm run fuzz` sends 100,000); GRANTRY_FUZZ_SEED replays a run.

const totalRuns = Number(process.env.GRANTRY_FUZZ_RUNS ?? 10_000);
const seed = Number(process.env.GRANTRY_FUZZ_SEED ?? Date.now() % 2 ** 31);
const concurrency = 12;
const timeoutMs = 15_000;

type Kind = 'oauth' | 'bearer' | 'static' | 'page' | 'demo';

interface Endpoint {
  method: 'GET' | 'POST';
  path: string;
  kind: Kind;
  params: string[];
}

const provider_endpoints = (appId: string): Endpoint[] => [
  { method: 'POST', path: '/oauth2/token', kind: 'oauth', params: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'client_id', 'client_secret', 'refresh_token', 'scope', 'username', 'password'] },
  { method: 'POST', path: '/oauth2/access_token', kind: 'oauth', params: ['grant_type', 'code', 'redirect_uri', 'client_id', 'client_secret', 'refresh_token'] },
  { method: 'POST', path: '/oauth2/revoke', kind: 'oauth', params: ['token', 'token_type_hint', 'client_id', 'client_secret'] },
  { method: 'POST', path: '/oauth2/introspect', kind: 'oauth', params: ['token', 'token_type_hint', 'client_id', 'client_secret'] },
  { method: 'GET', path: '/oauth2/jwks', kind: 'static', params: [] },
  { method: 'GET', path: '/.well-known/oauth-authorization-server', kind: 'static', params: [] },
  { method: 'GET', path: '/api/me', kind: 'bearer', params: ['access_token'] },
  { method: 'GET', path: '/oauth2/authorize', kind: 'page', params: ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'prompt'] },
  { method: 'POST', path: '/oauth2/authorize', kind: 'page', params: ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'prompt', 'csrf_token', 'decision'] },
  { method: 'GET', path: '/', kind: 'page', params: ['lang'] },
  { method: 'GET', path: '/login', kind: 'page', params: ['return_to', 'lang'] },
  { method: 'GET', path: '/lang', kind: 'page', params: ['to', 'return_to'] },
  { method: 'POST', path: '/login', kind: 'page', params: ['username', 'password', 'csrf_token', 'return_to'] },
  { method: 'GET', path: '/signup', kind: 'page', params: ['return_to'] },
  { method: 'POST', path: '/signup', kind: 'page', params: ['username', 'password', 'display_name', 'email', 'csrf_token', 'return_to'] },
  { method: 'POST', path: '/logout', kind: 'page', params: ['csrf_token'] },
  { method: 'GET', path: '/console', kind: 'page', params: [] },
  { method: 'GET', path: '/console/apps/new', kind: 'page', params: [] },
  { method: 'POST', path: '/console/apps/new', kind: 'page', params: ['name', 'app_type', 'description', 'homepage', 'redirect_uris', 'csrf_token'] },
  { method: 'GET', path: `/console/apps/${appId}`, kind: 'page', params: [] },
  { method: 'GET', path: '/console/apps/:id', kind: 'page', params: [] },
  { method: 'POST', path: `/console/apps/${appId}/basic`, kind: 'page', params: ['name', 'description', 'homepage', 'csrf_token'] },
  { method: 'POST', path: `/console/apps/${appId}/advanced`, kind: 'page', params: ['redirect_uris', 'scopes', 'pkce_required', 'token_format', 'implicit', 'csrf_token'] },
  { method: 'POST', path: `/console/apps/${appId}/rotate-secret`, kind: 'page', params: ['csrf_token'] },
  { method: 'POST', path: '/console/apps/:id/advanced', kind: 'page', params: ['csrf_token'] },
  { method: 'GET', path: '/account/apps', kind: 'page', params: [] },
  { method: 'POST', path: `/account/apps/${appId}/revoke`, kind: 'page', params: ['csrf_token'] },
  { method: 'POST', path: '/account/apps/:id/revoke', kind: 'page', params: ['csrf_token'] },
];

const demoEndpoints: Endpoint[] = [
  ...['/', '/account', '/spa', '/spa/callback', '/spa.js', '/implicit', '/implicit.js', '/connect/browser.js', '/auth/pending', '/auth/grantry/callback', '/auth/:id/callback', '/api/auth/me'].map(
    (path) => ({ method: 'GET' as const, path, kind: 'demo' as const, params: ['code', 'state', 'error', 'error_description', 'iss', 'return_to'] }),
  ),
  ...['/auth/pending/register', '/auth/pending/bind', '/auth/unbind', '/auth/logout', '/auth/local/register', '/auth/local/login', '/auth/grantry/login', '/auth/:id/login',
    '/api/auth/register', '/api/auth/bind', '/api/auth/renew', '/api/auth/logout', '/api/auth/unbind', '/api/auth/grantry/authorize', '/api/auth/grantry/callback', '/api/auth/:id/callback'].map(
    (path) => ({ method: 'POST' as const, path, kind: 'demo' as const, params: ['username', 'password', 'displayName', 'identity', 'link', 'code', 'state', 'return_to', 'refresh_token', 'redirect_uri'] }),
  ),
];

interface Known {
  values: string[];
  /** Headers that pass authentication, so that fuzzing reaches what lies behind it. */
  authorizations: string[];
  cookies: string[];
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

// ── generators ───────────────────────────────────────────────────────────────────────────────

/** Characters Node lets through in a header value: latin-1 without control characters. */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, (c) => String.fromCharCode(0x80 + (c.charCodeAt(0) % 0x80)));

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\0', 'a\0b', '\r\n', '%', '%zz', '%00', '%ff%fe', '\ud800', '\udfff', '..', '../../etc/passwd', '__proto__', 'constructor', 'toString',
    'null', 'undefined', 'true', '0', '-1', '1e309', 'NaN', '[]', '{}', '<script>alert(1)</script>', '"\'><img src=x onerror=alert(1)>', 'javascript:alert(1)',
    "' or 1=1 --", '${jndi:ldap://x}', '\u202e', '\ufeff', 'A'.repeat(300), 'Ω≈ç√', '𝒜𝒷𝒸'),
  fc.integer().map(String),
);

/** Long values go in bodies (up to the 64 KB limit); in a query they would only test the 16 KB header limit. */
const longString = fc.nat({ max: 30_000 }).map((n) => 'x'.repeat(n));

function valueArb(known: Known, long = true) {
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known.values) }, { weight: 4, arbitrary: oddString }, { weight: long ? 1 : 0, arbitrary: longString });
}

function paramsArb(endpoint: Endpoint, known: Known, long = true) {
  const names = fc.oneof({ weight: 6, arbitrary: endpoint.params.length > 0 ? fc.constantFrom(...endpoint.params) : fc.constant('x') }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'a.b', '', 'x'.repeat(2000)) }, { weight: 1, arbitrary: fc.string() });
  const one = fc.tuple(names, fc.oneof({ weight: 5, arbitrary: valueArb(known, long) }, { weight: 1, arbitrary: fc.array(valueArb(known, long), { minLength: 2, maxLength: 3 }) }));
  return fc.array(one, { maxLength: 10 });
}

type Params = [string, string | string[]][];

function toForm(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of params) for (const v of [value].flat()) search.append(name, v);
  return search.toString();
}

/** A JSON value where a string should be: numbers, booleans, null, objects, arrays. */
const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), fc.string());

function bodyArb(endpoint: Endpoint, known: Known): fc.Arbitrary<{ contentType?: string; body?: Buffer }> {
  const form = paramsArb(endpoint, known).map((p) => ({ contentType: 'application/x-www-form-urlencoded', body: Buffer.from(toForm(p)) }));
  const rawForm = fc.array(fc.oneof(fc.constantFrom('%', '%zz', '%ff%fe', '&', '=', '==', '+', '%00', '%E0%A4%A', 'grant_type=', 'a=1&a=2', 'token=%C0%AF'), fc.string()), { maxLength: 12 })
    .map((parts) => ({ contentType: 'application/x-www-form-urlencoded', body: Buffer.from(parts.join('')) }));
  const json = fc.dictionary(fc.oneof(endpoint.params.length > 0 ? fc.constantFrom(...endpoint.params) : fc.string(), fc.string()), fc.oneof(valueArb(known), wrongType), { maxKeys: 8 })
    .map((o) => ({ contentType: 'application/json', body: Buffer.from(JSON.stringify(o)) }));
  const badJson = fc.oneof(fc.string(), fc.constantFrom('{', '[1,', '{"__proto__":{"x":1}}', '"str"', '1', 'null', '{"a":1e999}'))
    .map((s) => ({ contentType: 'application/json', body: Buffer.from(s) }));
  const bytes = fc.tuple(fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded; charset=utf-16', 'application/json; charset=latin1', 'APPLICATION/X-WWW-FORM-URLENCODED', 'application/x-www-form-urlencodedx', '', 'x/y; ;;=', 'text/html'),
  fc.uint8Array({ maxLength: 300 })).map(([contentType, b]) => ({ contentType: contentType || undefined, body: Buffer.from(b) }));
  const none = fc.constant({});
  return fc.oneof({ weight: 5, arbitrary: form }, { weight: 2, arbitrary: rawForm }, { weight: 2, arbitrary: json }, { weight: 1, arbitrary: badJson }, { weight: 1, arbitrary: bytes }, { weight: 1, arbitrary: none });
}

function headersArb(known: Known) {
  const authorization = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.authorizations) },
    { weight: 2, arbitrary: fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`) },
    { weight: 1, arbitrary: fc.tuple(oddString, oddString).map(([a, b]) => `Basic ${Buffer.from(`${a}:${b}`).toString('base64')}`) },
    { weight: 1, arbitrary: fc.constantFrom('Basic', 'Basic ', 'Basic !!!', 'Basic Og==', 'Basic JXp6OiV6eg==', 'Bearer', 'Bearer ', 'bearer x', 'Bearer a b', 'Bearer a,Bearer b', 'Digest x', 'DPoP x', 'Basic\tx', 'x'.repeat(5000)) },
    { weight: 2, arbitrary: fc.string().map((s) => `Bearer ${s}`) },
    { weight: 1, arbitrary: fc.string() },
  ).map(headerSafe);
  const cookie = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.cookies) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('grantry_session', 'grantry_csrf', 'connect_session', 'x'), fc.string()).map(([n, v]) => `${n}=${v}`) },
    { weight: 1, arbitrary: fc.constantFrom('=', ';;', 'a', 'grantry_session=%zz', 'grantry_session="', 'grantry_csrf=; grantry_csrf=x', `grantry_session=${'a'.repeat(4000)}`) },
  ).map(headerSafe);
  const other = fc.dictionary(
    fc.constantFrom('accept', 'accept-language', 'user-agent', 'x-forwarded-for', 'origin', 'referer', 'content-encoding', 'transfer-encoding-x', 'x-requested-with', 'if-none-match', 'range'),
    fc.oneof(fc.string(), fc.constantFrom('*', 'zh-CN,zh;q=0.9', 'en;q=x', ';;', 'gzip', 'br', 'bytes=0-1', 'https://evil.example', 'null')).map(headerSafe),
    { maxKeys: 4 },
  );
  return fc.record({ authorization: fc.option(authorization, { freq: 2 }), cookie: fc.option(cookie, { freq: 2 }), other, repeatAuthorization: fc.boolean() });
}

function requestArb(endpoints: Endpoint[], known: Known): fc.Arbitrary<{ endpoint: Endpoint; request: FuzzRequest }> {
  return fc.constantFrom(...endpoints).chain((endpoint) =>
    fc.record({
      method: fc.oneof({ weight: 12, arbitrary: fc.constant(endpoint.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') }),
      query: fc.oneof({ weight: 3, arbitrary: paramsArb(endpoint, known, false).map(toForm) }, { weight: 1, arbitrary: fc.string().map((s) => encodeURI(s.replace(/[\ud800-\udfff]/g, ''))) }, { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '&&&', '=', 'a=%ff', '?', '#') }),
      body: bodyArb(endpoint, known),
      headers: headersArb(known),
    }).map(({ method, query, body, headers }) => {
      const h: Record<string, string | string[]> = { ...headers.other };
      if (headers.authorization !== null) h.authorization = headers.repeatAuthorization ? [headers.authorization, headers.authorization] : headers.authorization;
      if (headers.cookie !== null) h.cookie = headers.cookie;
      const sendsBody = method !== 'GET' && method !== 'HEAD';
      if (sendsBody && body.contentType !== undefined) h['content-type'] = body.contentType;
      return { endpoint, request: { method, path: `${endpoint.path}${query ? `?${query}` : ''}`, headers: h, body: sendsBody ? body.body : undefined } };
    }),
  );
}

// ── sending and judging ──────────────────────────────────────────────────────────────────────

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(base: string, agent: Agent, request: FuzzRequest): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: request.path, method: request.method, headers: request.headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms (a hang)`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

const oauthErrors = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'unsupported_token_type', 'not_found']);
const bearerErrors = new Set(['invalid_request', 'invalid_token', 'insufficient_scope', 'not_found']);
/** RFC 6749 §5.2 and RFC 6750 §3.1: the status each error comes with (invalid_request: 400, or the size and media-type statuses). */
const statusOfError: Record<string, number[]> = { invalid_client: [401], invalid_token: [401], insufficient_scope: [403], not_found: [404] };
/** RFC 6749 §5.2: error and error_description are printable ASCII without `"` and `\`. */
const errorCodeChars = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

function jsonError(answer: Answer, allowed: Set<string>): string | undefined {
  if (!/^application\/json\b/.test(String(answer.headers['content-type']))) return `a ${answer.status} that is not JSON: ${answer.headers['content-type']}`;
  let body: any;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return 'a JSON error body that does not parse';
  }
  if (typeof body.error !== 'string' || !errorCodeChars.test(body.error) || !allowed.has(body.error)) return `error ${JSON.stringify(body.error)} is not one this endpoint may give`;
  if (body.error_description !== undefined && typeof body.error_description !== 'string') return 'error_description is not a string';
  const expected = statusOfError[body.error] ?? [400, 413, 415, 429, 431];
  if (!expected.includes(answer.status)) return `${body.error} with status ${answer.status}`;
  return undefined;
}

/** What is wrong with an answer, or undefined when it has the shape its endpoint's RFC gives. */
function judge(endpoint: Endpoint, request: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}`;
  if (request.method === 'HEAD' || answer.status < 400) {
    if (endpoint.kind === 'static' && request.method === 'GET' && answer.status !== 200) return `static endpoint answered ${answer.status}`;
    return undefined;
  }
  const isHtml = /^text\/html\b/.test(String(answer.headers['content-type']));
  switch (endpoint.kind) {
    case 'oauth':
    case 'static':
      return jsonError(answer, oauthErrors);
    case 'bearer': {
      if (answer.status === 401 && !String(answer.headers['www-authenticate']).startsWith('Bearer ')) return 'a 401 without a Bearer challenge';
      if (answer.status === 401 && !answer.text.includes('"error"')) return undefined; // RFC 6750 §3.1: no error code when no token came
      return jsonError(answer, bearerErrors);
    }
    case 'page':
      if (answer.status === 404 && request.method !== endpoint.method) return jsonError(answer, oauthErrors);
      // What the HTTP layer refuses before a page's handler runs (a body that does not parse, an
      // unknown media type, too much of either) is answered in the OAuth error shape.
      if (!isHtml && [400, 413, 415, 431].includes(answer.status)) return jsonError(answer, new Set(['invalid_request']));
      return isHtml ? undefined : `a page answered ${answer.status} with ${answer.headers['content-type']}`;
    case 'demo':
      if (isHtml) return undefined;
      try {
        const body = JSON.parse(answer.text);
        return typeof body.error === 'string' || typeof body.message === 'string' ? undefined : `a demo error without an error field: ${answer.text.slice(0, 200)}`;
      } catch {
        return `a demo ${answer.status} neither HTML nor JSON: ${answer.text.slice(0, 200)}`;
      }
  }
}

interface Figures {
  sent: number;
  byStatus: Map<number, number>;
  failures: string[];
}

async function fuzz(base: string, endpoints: Endpoint[], known: Known, runs: number, runSeed: number): Promise<Figures> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const arbitrary = requestArb(endpoints, known);
  const figures: Figures = { sent: 0, byStatus: new Map(), failures: [] };
  // Generated a batch at a time (each batch its own seed, derived from the run's): a long run
  // would otherwise hold every generated body in memory at once.
  const batchSize = 500;
  let batch: ReturnType<typeof fc.sample<{ endpoint: Endpoint; request: FuzzRequest }>> = [];
  let taken = 0;
  const nextSample = () => {
    if (taken >= runs) return undefined;
    if (taken % batchSize === 0) batch = fc.sample(arbitrary, { numRuns: Math.min(batchSize, runs - taken), seed: runSeed + taken });
    return batch[taken++ % batchSize];
  };
  const worker = async () => {
    for (let sample = nextSample(); sample; sample = nextSample()) {
      const { endpoint, request } = sample;
      let answer: Answer;
      try {
        answer = await send(base, agent, request).catch((error: NodeJS.ErrnoException) => {
          // A server that refuses a request in its HTTP parser (431, 400) closes the connection
          // without saying so; a request already queued on that kept-alive socket is sent again.
          if (error.code === 'ECONNRESET' || error.message === 'socket hang up') return send(base, new Agent(), request);
          throw error;
        });
      } catch (error) {
        figures.failures.push(`${(error as Error).message}: ${describeRequest(request)}`);
        continue;
      } finally {
        figures.sent++;
      }
      figures.byStatus.set(answer.status, (figures.byStatus.get(answer.status) ?? 0) + 1);
      const wrong = judge(endpoint, request, answer);
      if (wrong) figures.failures.push(`${wrong}: ${describeRequest(request)} → ${answer.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return figures;
}

function describeRequest(request: FuzzRequest): string {
  return JSON.stringify({ ...request, path: request.path.slice(0, 300), body: request.body?.toString('latin1').slice(0, 300) });
}

function report(t: { diagnostic(message: string): void }, name: string, figures: Figures) {
  const statuses = [...figures.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
  t.diagnostic(`fuzz ${name}: ${figures.sent} generated requests (seed ${seed}); by status ${statuses}`);
  fuzzTotals.sent += figures.sent;
}

const fuzzTotals = { sent: 0 };

function assertClean(figures: Figures) {
  assert.deepEqual(figures.failures.slice(0, 5), [], `${figures.failures.length} bad answers; replay with GRANTRY_FUZZ_SEED=${seed}`);
}

/** A raw HTTP exchange: for what no HTTP client library would send. */
function raw(base: string, bytes: string | Buffer): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: url.hostname, port: Number(url.port) }, () => socket.end(bytes));
    let text = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('no answer (a hang)')));
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('close', () => resolve(text));
    socket.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(text) : reject(e)));
  });
}

// ── the runs ─────────────────────────────────────────────────────────────────────────────────

async function providerKnowledge(provider: RunningProvider): Promise<{ known: Known; appId: string }> {
  const user = await provider.createUser('fuzzer', 'fuzzer password');
  const web = await provider.registerClient({ appType: 'web', name: 'Fuzzed', ownerId: user.id });
  const trusted = await provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['authorization_code', 'refresh_token', 'password'] });
  const service = await provider.registerClient({ appType: 'service' });
  const spa = await provider.registerClient({ appType: 'spa', grantTypes: ['authorization_code', 'implicit', 'refresh_token'] });
  const tokens = (await postForm(provider, '/oauth2/token', { grant_type: 'password', username: user.username, password: user.password, scope: 'profile email' }, basicAuth(trusted.client.id, trusted.clientSecret!))).body;
  const codes = await Promise.all(Array.from({ length: 20 }, () => makeCode(provider, { client: web.client, user })));
  const browser = new TestBrowser(provider.url);
  await signIn(provider, browser, user);
  // The CSRF token is made the way session.ts makes it, so that no page's markup is relied on.
  const csrfSecret = randomToken(32);
  const csrf = hmac(deriveKey(provider.config.secret, 'csrf'), csrfSecret);
  const cookie = `grantry_session=${browser.cookies.get('grantry_session')}; grantry_csrf=${csrfSecret}`;
  return {
    appId: web.client.id,
    known: {
      values: [
        'authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'code', 'token', 'code token', 'profile', 'email', 'profile email', 'openid',
        'S256', 'plain', 'login', 'consent', 'none', 'allow', 'deny', 'access_token', 'web', 'spa', 'native', 'service', 'jwt', 'opaque', 'on', '1',
        'https://app.example/callback', 'http://127.0.0.1:9/cb', '/console', '//evil.example', 'https://evil.example/',
        web.client.id, web.clientSecret!, trusted.client.id, trusted.clientSecret!, service.client.id, service.clientSecret!, spa.client.id,
        user.username, user.password, tokens.access_token, tokens.refresh_token, csrf, 'fuzzer',
        ...codes.flatMap((c) => [c.code, c.verifier!]),
      ],
      authorizations: [basicAuth(web.client.id, web.clientSecret!).authorization!, basicAuth(service.client.id, service.clientSecret!).authorization!, basicAuth(trusted.client.id, trusted.clientSecret!).authorization!, `Bearer ${tokens.access_token}`],
      cookies: [cookie, `grantry_csrf=${csrfSecret}`],
    },
  };
}

/** Login throttling would slow every generated login down to seconds; brute-force.test.ts tests it. */
const unthrottled = { login: { slowAfterFailures: 1_000_000, lockAfterFailures: 1_000_000 } };

describe('fuzzing every endpoint', () => {
  const share = { sqlite: 0.45, postgres: 0.3, demo: 0.25 };

  test('the provider on SQLite: no 5xx, no hang, RFC-shaped errors', async (t) => {
    const provider = await startProvider(sqliteKind, unthrottled);
    try {
      const { known, appId } = await providerKnowledge(provider);
      const figures = await fuzz(provider.url, provider_endpoints(appId), known, Math.ceil(totalRuns * share.sqlite), seed);
      report(t, 'provider/sqlite', figures);
      assertClean(figures);
      assert.equal((await fetch(`${provider.url}/.well-known/oauth-authorization-server`)).status, 200, 'still answering');
    } finally {
      await provider.close();
    }
  });

  test('the provider on PostgreSQL: no 5xx, no hang, RFC-shaped errors', async (t) => {
    const provider = await startProvider(postgresKind, unthrottled);
    try {
      const { known, appId } = await providerKnowledge(provider);
      const figures = await fuzz(provider.url, provider_endpoints(appId), known, Math.ceil(totalRuns * share.postgres), seed + 1);
      report(t, 'provider/postgres', figures);
      assertClean(figures);
      assert.equal((await fetch(`${provider.url}/.well-known/oauth-authorization-server`)).status, 200, 'still answering');
    } finally {
      await provider.close();
    }
  });

  test('the demo site (logging in with a real provider): no 5xx, no hang', async (t) => {
    const provider = await startProvider(sqliteKind, unthrottled);
    let site: DemoSite | undefined;
    try {
      const demo = await startDemoFor({ ...provider, issuer: provider.url });
      site = demo.site;
      const { app } = demo;
      const browser = new TestBrowser(site.url.replace('localhost', '127.0.0.1'));
      await browser.post('/auth/local/register', { username: 'fuzzed', displayName: 'Fuzzed', password: 'fuzzed password' });
      // Live login states of this browser, so that generated callbacks get past the state check to
      // what lies behind it (each state is taken by the first callback that names it).
      const states: string[] = [];
      for (let i = 0; i < 60; i++) {
        const started = await browser.post('/auth/grantry/login', i % 2 ? { link: '1' } : {});
        states.push(new URL(started.location!).searchParams.get('state')!);
      }
      const cookie = [...browser.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
      const known: Known = {
        values: ['grantry', 'fuzzed', 'fuzzed password', '1', '/account', 'https://evil.example', app.client.id, provider.url, ...states],
        authorizations: ['Bearer x'],
        cookies: [cookie],
      };
      const figures = await fuzz(site.url.replace('localhost', '127.0.0.1'), demoEndpoints, known, Math.ceil(totalRuns * share.demo), seed + 2);
      report(t, 'demo site', figures);
      assertClean(figures);
    } finally {
      await site?.close();
      await provider.close();
    }
  });

  test('oversized bodies get 413 and oversized headers 431, on the provider and the demo site', async (t) => {
    const provider = await startProvider(sqliteKind, unthrottled);
    const { site } = await startDemoFor({ ...provider, issuer: provider.url });
    const agent = new Agent({ keepAlive: true });
    let sent = 0;
    try {
      const bigForm = Buffer.from(`grant_type=client_credentials&x=${'a'.repeat(70 * 1024)}`);
      for (const [base, path] of [[provider.url, '/oauth2/token'], [provider.url, '/oauth2/revoke'], [provider.url, '/oauth2/introspect'], [provider.url, '/login'], [provider.url, '/signup'], [provider.url, '/console/apps/new'], [provider.url, '/oauth2/authorize'],
        [site.url.replace('localhost', '127.0.0.1'), '/auth/local/login'], [site.url.replace('localhost', '127.0.0.1'), '/auth/local/register']] as const) {
        for (const body of [bigForm, Buffer.alloc(2 * 1024 * 1024, 'a')]) {
          const answer = await send(base, agent, { method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
          sent++;
          assert.equal(answer.status, 413, `${path} with ${body.length} bytes`);
        }
        // The demo site takes JSON up to Fastify's default of 1 MB; the provider up to 64 KB.
        const json = await send(base, agent, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ a: 'b'.repeat((base === provider.url ? 100 : 2048) * 1024) })) });
        sent++;
        assert.equal(json.status, 413, `${path} JSON`);
      }
      for (const base of [provider.url, site.url.replace('localhost', '127.0.0.1')]) {
        for (const headers of [{ 'x-big': 'a'.repeat(20 * 1024) }, Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`x-h${i}`, 'abcdefghij'])), { cookie: `grantry_session=${'a'.repeat(64 * 1024)}` }]) {
          const answer = await send(base, new Agent(), { method: 'GET', path: '/', headers });
          sent++;
          assert.equal(answer.status, 431, base);
        }
        const hugeUrl = await send(base, new Agent(), { method: 'GET', path: `/login?return_to=${'a'.repeat(32 * 1024)}`, headers: {} });
        sent++;
        assert.ok(hugeUrl.status === 431 || hugeUrl.status === 414 || (hugeUrl.status >= 200 && hugeUrl.status < 500), `a 32 KB URL: ${hugeUrl.status}`);
      }
      t.diagnostic(`oversized: ${sent} requests`);
      fuzzTotals.sent += sent;
    } finally {
      agent.destroy();
      await site.close();
      await provider.close();
    }
  });

  test('raw malformed HTTP is answered with 400 (or the connection closed), and the server lives on', async (t) => {
    const provider = await startProvider(sqliteKind, unthrottled);
    try {
      const samples = fc.sample(
        fc.oneof(
          fc.constantFrom(
            'GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n',
            'GET / HTTP/1.1\nHost: x\n\n',
            'GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n',
            'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n0123456789',
            'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
            'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
            'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
            'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
            'BREW / HTTP/1.1\r\nHost: x\r\n\r\n',
            'GET  HTTP/1.1\r\n\r\n',
            'G\xffT / HTTP/1.1\r\n\r\n',
            'GET / HTTP/1.1\r\nHost: x\r\n X: folded\r\n\r\n',
            'GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n',
          ),
          fc.string({ maxLength: 200 }).map((s) => `${s}\r\n\r\n`),
          fc.string({ maxLength: 100 }).map((s) => `GET /${s} HTTP/1.1\r\nHost: x\r\n\r\n`),
        ),
        { numRuns: 200, seed },
      );
      let answered = 0;
      for (const bytes of samples) {
        const text = await raw(provider.url, Buffer.from(bytes, 'latin1'));
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        assert.ok(status < 500, `${JSON.stringify(bytes)} → ${text.slice(0, 200)}`);
        if (status) answered++;
      }
      assert.equal((await fetch(`${provider.url}/.well-known/oauth-authorization-server`)).status, 200, 'still answering');
      t.diagnostic(`raw: ${samples.length} malformed requests, ${answered} answered with a status, the rest closed`);
      fuzzTotals.sent += samples.length;
    } finally {
      await provider.close();
    }
  });

  after(() => {
    console.log(`# fuzz total: ${fuzzTotals.sent} generated requests (GRANTRY_FUZZ_RUNS=${totalRuns}, seed ${seed})`);
  });
});

import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { makeConfig, type ConfigOverrides } from '../../src/config/config.ts';
import { hashPassword } from '../../src/provider/accounts/authenticate.ts';
import { createProviderContext, type ProviderContext } from '../../src/provider/context.ts';
import { buildProviderServer } from '../../src/provider/http/server.ts';
import { createMetrics, type ProviderMetrics } from '../../src/provider/metrics.ts';
import { registerClient } from '../../src/provider/protocol/clients.ts';
import { testSecret } from '../helpers/provider.ts';
import { storeKinds, sqliteKind } from '../helpers/stores.ts';
import { basic } from '../helpers/basic.ts';

interface MetricsProvider {
  url: string;
  ctx: ProviderContext;
  metrics: ProviderMetrics;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A provider wired as `grantry start` wires it: the store reports each statement's time to the metrics. */
async function startWithMetrics(kind = sqliteKind, overrides: ConfigOverrides = {}, host = '127.0.0.1'): Promise<MetricsProvider> {
  const metrics = createMetrics();
  const opened = await kind.open({ onQuery: metrics.observeQuery });
  const config = makeConfig({ secret: testSecret, argon2: { memoryCost: 1024, timeCost: 1 }, ...overrides });
  const ctx = await createProviderContext(config, opened.store);
  const app = await buildProviderServer(ctx, { metrics });
  const url = await app.listen({ port: 0, host });
  return {
    url,
    ctx,
    metrics,
    app,
    async close() {
      await app.close();
      await opened.dispose();
    },
  };
}

const scrape = async (provider: MetricsProvider, headers: Record<string, string> = {}) => {
  const response = await fetch(`${provider.url}/metrics`, { headers });
  return { response, text: await response.text() };
};

/** The value of one sample line, e.g. `grantry_login_failures_total` or `grantry_tokens_issued_total{grant_type="password"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const tokenRequest = (provider: MetricsProvider, form: Record<string, string>, auth: string) =>
  fetch(`${provider.url}/oauth2/token`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

for (const kind of storeKinds) {
  describe(`metrics on ${kind.name}`, () => {
    let provider: MetricsProvider;
    before(async () => (provider = await startWithMetrics(kind)));
    after(() => provider.close());

    test('counters move: requests by route pattern, tokens by grant, login failures, refresh reuse, store latency', async () => {
      const { client, clientSecret } = await registerClient(provider.ctx.store, provider.ctx.config, { name: 'M', appType: 'service', redirectUris: [] });
      const { client: first, clientSecret: firstSecret } = await registerClient(provider.ctx.store, provider.ctx.config, {
        name: 'First party', appType: 'web', redirectUris: ['https://app.example/cb'], trusted: true, grantTypes: ['password'],
      });
      await provider.ctx.store.users.create({ username: 'metric-user', passwordHash: await hashPassword(provider.ctx.config, 'right password'), displayName: 'M', email: null });

      const before = (await scrape(provider)).text;
      assert.equal(sample(before, 'grantry_tokens_issued_total{grant_type="client_credentials"}'), undefined, 'no client_credentials token is counted before one is issued');
      assert.equal(sample(before, 'grantry_login_failures_total'), 0, 'the login failure counter starts at 0');
      assert.equal(sample(before, 'grantry_refresh_token_reuse_total'), 0, 'the refresh token reuse counter starts at 0');

      for (let i = 0; i < 2; i++)
        assert.equal(
          (await tokenRequest(provider, { grant_type: 'client_credentials' }, basic(client.id, clientSecret!))).status,
          200,
          'the service app gets a client_credentials token',
        );
      const refused = await tokenRequest(provider, { grant_type: 'password', username: 'metric-user', password: 'wrong' }, basic(first.id, firstSecret!));
      assert.equal(refused.status, 400, 'a wrong password at the password grant is refused with 400');
      assert.equal(
        (await tokenRequest(provider, { grant_type: 'password', username: 'metric-user', password: 'right password' }, basic(first.id, firstSecret!))).status,
        200,
        'the right password at the password grant gets a token',
      );
      assert.equal(
        (await fetch(`${provider.url}/console/apps/some-id/audit?x=secret-value`, { redirect: 'manual' })).status,
        303,
        'the console audit page sends a stranger to log in',
      );
      assert.equal((await fetch(`${provider.url}/no/such/path?code=abc`)).status, 404, 'an unknown path is a 404');
      provider.ctx.audit.record({ event: 'refresh_token_reused', clientId: first.id });

      const { response, text } = await scrape(provider);
      assert.equal(response.status, 200, 'loopback callers may read /metrics');
      assert.match(response.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/, 'the metrics are served in the Prometheus text format 0.0.4');
      assert.equal(sample(text, 'grantry_tokens_issued_total{grant_type="client_credentials"}'), 2, 'two client_credentials tokens are counted');
      assert.equal(sample(text, 'grantry_tokens_issued_total{grant_type="password"}'), 1, 'one password-grant token is counted');
      assert.equal(sample(text, 'grantry_login_failures_total'), 1, 'the wrong password is counted as a login failure');
      assert.equal(sample(text, 'grantry_refresh_token_reuse_total'), 1, 'the audited refresh token reuse is counted');
      assert.equal(sample(text, 'grantry_http_requests_total{route="/oauth2/token",method="POST",status="200"}'), 3, 'token requests answered 200 are counted by route pattern');
      assert.equal(sample(text, 'grantry_http_requests_total{route="/oauth2/token",method="POST",status="400"}'), 1, 'the token request answered 400 is counted by route pattern');
      assert.equal(
        sample(text, 'grantry_http_requests_total{route="/console/apps/:id/audit",method="GET",status="303"}'),
        1,
        'a request with a path parameter is counted under its route pattern',
      );
      assert.equal(sample(text, 'grantry_http_requests_total{route="unmatched",method="GET",status="404"}'), 1, 'a request matching no route is counted as unmatched');
      assert.doesNotMatch(text, /some-id|secret-value|no\/such|code=abc/, 'no path value, query value or unknown path leaks into the metrics');
      assert.ok(sample(text, 'grantry_store_query_duration_seconds_count')! > 0, 'store statement times are observed');
      assert.ok(
        sample(text, 'grantry_store_query_duration_seconds_count')! > sample(before, 'grantry_store_query_duration_seconds_count')!,
        'store statement times are observed for the requests since the first scrape',
      );
      // The default process metrics are there too.
      assert.match(text, /^process_cpu_user_seconds_total /m, 'the default process metrics are served');
      assert.match(text, /^nodejs_heap_size_used_bytes /m, 'the default Node.js heap metrics are served');
    });
  });
}

describe('who may read /metrics', () => {
  test('without a metricsToken: loopback callers only, and never through a proxy', async () => {
    const provider = await startWithMetrics();
    try {
      assert.equal((await scrape(provider)).response.status, 200, 'a loopback caller may read /metrics without a token');
      const forwarded = await scrape(provider, { 'x-forwarded-for': '203.0.113.9' });
      assert.equal(forwarded.response.status, 403, 'a loopback caller behind a proxy (X-Forwarded-For) is refused');
      assert.deepEqual(JSON.parse(forwarded.text), {
        error: 'access_denied',
        error_description: 'without a configured metricsToken, metrics are served to loopback callers only',
      }, 'the refusal explains that metrics are for loopback callers only');
      assert.equal((await scrape(provider, { forwarded: 'for=203.0.113.9' })).response.status, 403, 'a loopback caller behind a proxy (Forwarded) is refused');
    } finally {
      await provider.close();
    }
  });

  test('without a metricsToken: a caller from a non-loopback address is refused', async (t) => {
    const address = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!address) return t.skip('this machine has no non-loopback IPv4 address');
    // Listening on that address only, so that the test's own request comes from it.
    const provider = await startWithMetrics(sqliteKind, {}, address);
    try {
      const { response, text } = await scrape(provider);
      assert.equal(response.status, 403, `a caller from a non-loopback address is refused: ${text}`);
      assert.equal(JSON.parse(text).error, 'access_denied', 'the refusal is access_denied');
      assert.equal((await fetch(`${provider.url}/healthz`)).status, 200, 'the health check still answers the non-loopback caller');
    } finally {
      await provider.close();
    }
  });

  test('with a metricsToken: the bearer token is required, from anywhere, loopback included', async () => {
    const provider = await startWithMetrics(sqliteKind, { metricsToken: 'scrape-token-0123456789' });
    try {
      const missing = await scrape(provider);
      assert.equal(missing.response.status, 401, `without the bearer token /metrics is a 401: ${missing.text}`);
      assert.equal(missing.response.headers.get('www-authenticate'), 'Bearer realm="metrics"', 'the missing token is answered with the metrics Bearer challenge');
      assert.equal(JSON.parse(missing.text).error, 'invalid_token', 'the missing token is invalid_token');
      const wrong = await scrape(provider, { authorization: 'Bearer scrape-token-wrong' });
      assert.equal(wrong.response.status, 401, `a wrong bearer token is a 401: ${wrong.text}`);
      assert.equal(
        wrong.response.headers.get('www-authenticate'),
        'Bearer realm="metrics", error="invalid_token"',
        'the wrong token is answered with invalid_token in the challenge',
      );
      assert.equal((await scrape(provider, { authorization: 'Basic c2NyYXBlOnRva2Vu' })).response.status, 401, 'Basic credentials are refused with 401');
      const right = await scrape(provider, { authorization: 'Bearer scrape-token-0123456789', 'x-forwarded-for': '203.0.113.9' });
      assert.equal(right.response.status, 200, `the right bearer token reads /metrics from anywhere, through a proxy too: ${right.text.slice(0, 300)}`);
      assert.match(right.text, /^# HELP grantry_tokens_issued_total /m, 'the metrics text carries the HELP lines');
    } finally {
      await provider.close();
    }
  });
});

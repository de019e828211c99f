import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { makeConfig } from '../../src/config/config.ts';
import { hashPassword } from '../../src/provider/accounts/authenticate.ts';
import { createProviderContext, type ProviderContext } from '../../src/provider/context.ts';
import { buildProviderServer } from '../../src/provider/http/server.ts';
import { registerClient } from '../../src/provider/protocol/clients.ts';
import { createServiceApp, startChildProvider } from '../helpers/child-provider.ts';
import { testSecret } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';
import { basic } from '../helpers/basic.ts';

const form = (values: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams(values).toString() });

describe('the JSON request log', () => {
  const lines: string[] = [];
  let app: FastifyInstance;
  let ctx: ProviderContext;
  let url: string;
  let dispose: () => Promise<void>;

  before(async () => {
    const opened = await sqliteKind.open();
    dispose = opened.dispose;
    ctx = await createProviderContext(makeConfig({ secret: testSecret, argon2: { memoryCost: 1024, timeCost: 1 } }), opened.store);
    app = await buildProviderServer(ctx, { logger: { level: 'info', stream: { write: (line: string) => void lines.push(line) } } });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  test('a run of token flows leaves no secret, token, code or password in the log, and every line is JSON', async () => {
    const secrets: string[] = [];
    const { client: service, clientSecret: serviceSecret } = await registerClient(ctx.store, ctx.config, { name: 'S', appType: 'service', redirectUris: [] });
    const { client: app1, clientSecret: appSecret } = await registerClient(ctx.store, ctx.config, {
      name: 'First party', appType: 'web', redirectUris: ['https://app.example/cb'], trusted: true, grantTypes: ['password', 'refresh_token', 'authorization_code'],
    });
    const password = 'log-test-password-Xq7';
    await ctx.store.users.create({ username: 'logged-user', passwordHash: await hashPassword(ctx.config, password), displayName: 'L', email: null });
    secrets.push(serviceSecret!, appSecret!, password);

    const post = async (path: string, values: Record<string, string>, headers: Record<string, string> = {}) => {
      const { body, ...contentType } = form(values);
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: { ...contentType, ...headers }, body, redirect: 'manual' });
      return { status: response.status, body: await response.text() };
    };

    // client_secret_post: the secret in the body.
    const cc = JSON.parse((await post('/oauth2/token', { grant_type: 'client_credentials', client_id: service.id, client_secret: serviceSecret! })).body);
    secrets.push(cc.access_token);
    // The password grant, then a refresh, an introspection, /api/me and a revocation.
    const pw = JSON.parse((await post('/oauth2/token', { grant_type: 'password', username: 'logged-user', password }, { authorization: basic(app1.id, appSecret!) })).body);
    secrets.push(pw.access_token, pw.refresh_token);
    const refreshed = JSON.parse((await post('/oauth2/token', { grant_type: 'refresh_token', refresh_token: pw.refresh_token }, { authorization: basic(app1.id, appSecret!) })).body);
    secrets.push(refreshed.access_token, refreshed.refresh_token);
    assert.equal((await post('/oauth2/introspect', { token: refreshed.access_token }, { authorization: basic(app1.id, appSecret!) })).status, 200, 'the introspection answers 200');
    assert.equal((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${refreshed.access_token}` } })).status, 200, '/api/me accepts the refreshed access token');
    assert.equal((await post('/oauth2/revoke', { token: refreshed.refresh_token }, { authorization: basic(app1.id, appSecret!) })).status, 200, 'the revocation answers 200');
    // A code and a verifier (unknown, so invalid_grant), and a code in a query string.
    const code = 'code-value-that-must-not-be-logged-0123456789';
    const verifier = 'verifier-value-that-must-not-be-logged-0123456789abcdef';
    secrets.push(code, verifier);
    assert.equal((await post('/oauth2/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://app.example/cb' }, { authorization: basic(app1.id, appSecret!) })).status, 400, 'an unknown code is refused with 400');
    const state = 'state-value-in-a-query-string-987654321';
    secrets.push(state);
    await fetch(`${url}/oauth2/authorize?response_type=code&client_id=${app1.id}&redirect_uri=https://app.example/cb&state=${state}&code=${code}`, { redirect: 'manual' });
    // A password posted to the login page, and a session cookie sent along.
    const cookie = 'grantry_session=session-cookie-value-55555';
    secrets.push('session-cookie-value-55555');
    await post('/login', { username: 'logged-user', password, csrf_token: 'x' }, { cookie });

    // Anything that logs request parts through the app's logger is redacted too.
    app.log.info({ headers: { authorization: `Bearer ${cc.access_token}`, cookie }, body: { client_secret: serviceSecret, password }, query: { code } }, 'a careless line');
    await ctx.audit.flush();

    assert.ok(lines.length >= 20, `only ${lines.length} lines`);
    const parsed = lines.map((line) => JSON.parse(line));
    for (const line of lines) for (const secret of secrets) assert.ok(!line.includes(secret), `the log holds ${secret}: ${line}`);
    const incoming = parsed.filter((entry) => entry.msg === 'incoming request');
    assert.ok(incoming.some((entry) => entry.req.url === '/oauth2/authorize'), 'paths are logged without their query');
    assert.ok(incoming.every((entry) => !entry.req.url.includes('?')), 'no logged path carries its query string');
    assert.deepEqual(Object.keys(incoming[0].req).sort(), ['method', 'remoteAddress', 'url'], 'an incoming request is logged with its method, remote address and url only');
    const completed = parsed.filter((entry) => entry.msg === 'request completed');
    assert.equal(completed.length, incoming.length, 'every incoming request has its completed line');
    assert.ok(completed.every((entry) => typeof entry.res.statusCode === 'number' && typeof entry.responseTime === 'number'), 'every completed line has a status code and a response time');
    const careless = parsed.find((entry) => entry.msg === 'a careless line');
    assert.deepEqual(careless.headers, { authorization: '[Redacted]', cookie: '[Redacted]' }, 'the headers a careless line logs are redacted');
    assert.deepEqual(careless.body, { client_secret: '[Redacted]', password: '[Redacted]' }, 'the body fields a careless line logs are redacted');
    assert.deepEqual(careless.query, { code: '[Redacted]' }, 'the query a careless line logs is redacted');
  });
});

describe('grantry start with GRANTRY_LOG=info', () => {
  test('writes JSON lines only to stdout, without the client secret it was sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantry-log-'));
    const databaseUrl = `sqlite:${dir}/grantry.sqlite`;
    const child = await startChildProvider({ databaseUrl, env: { GRANTRY_LOG: 'info' } });
    try {
      // Registered once the provider has made its database: only grantry start makes one.
      const { clientId, clientSecret } = await createServiceApp(databaseUrl);
      const response = await fetch(`${child.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      });
      const { access_token } = await response.json();
      child.child.kill('SIGTERM');
      assert.equal((await child.exited).code, 0, 'the provider exits 0 on SIGTERM');
      const lines = child.stdout().trim().split('\n');
      const entries = lines.map((line) => JSON.parse(line));
      assert.ok(entries.some((e) => /^Grantry provider listening on http:\/\/localhost:\d+ /.test(e.msg)), 'the provider logs that it is listening, as JSON');
      assert.ok(entries.some((e) => e.msg === 'request completed' && e.res.statusCode === 200), 'the provider logs the completed token request, as JSON');
      assert.ok(entries.some((e) => e.signal === 'SIGTERM'), 'the provider logs the SIGTERM it received, as JSON');
      for (const line of lines) {
        assert.ok(!line.includes(clientSecret), `the log holds the client secret: ${line}`);
        assert.ok(!line.includes(access_token), `the log holds the access token: ${line}`);
      }
    } finally {
      if (child.child.exitCode === null) child.child.kill('SIGKILL');
    }
  });
});

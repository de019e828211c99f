import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { connectFastify, createConnect, grantry, wechat } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { listenFirst } from '../../src/lib/listen-first.ts';
import { storeKinds } from '../helpers/stores.ts';
import { grantryClient, startGrantry, type GrantryDouble } from './doubles/grantry.ts';
import { startWeChat, wechatClient } from './doubles/wechat.ts';
import { loginWith, secret, startSite, TestBrowser, type TestSite } from './helpers.ts';

// A token exchange the provider refuses (a wrong client secret, most often) is told to the visitor
// in a sentence and to the site's developer in the log, at warn: the provider's error and
// description, its HTTP status, the token endpoint and the provider. Never the client secret, the
// code, the code verifier or a token.

const wrongSecret = 'a-wrong-client-secret-0123456789';

/** Every value of the token requests a double received that must not reach a log. */
function sentValues(double: GrantryDouble): string[] {
  return double.requests
    .filter((r) => r.path === '/token')
    .flatMap((r) => [r.body.code, r.body.code_verifier, r.body.client_secret, String(r.headers.authorization ?? '').replace(/^Basic /, '')])
    .filter((value): value is string => typeof value === 'string' && value.length > 0);
}

for (const kind of storeKinds) {
  describe(`failed token exchanges are logged, without secrets, on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let double: GrantryDouble;
    let site: TestSite;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      double = await startGrantry();
      site = await startSite(store, [grantry({ issuer: double.url, clientId: grantryClient.clientId, clientSecret: wrongSecret })]);
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    test('a wrong client secret: the visitor is told Grantry refused, the log says why and where', async () => {
      const { callback } = await loginWith(new TestBrowser(site.url), 'grantry');
      assert.equal(callback.status, 502, `the refused token exchange ends on a 502 page: ${callback.text.slice(0, 300)}`);
      assert.match(callback.text, /Grantry refused the login \(invalid_client\)/, 'the visitor reads that Grantry refused the login');
      assert.equal(site.warnings.length, 1, `one warning for one failed exchange: ${JSON.stringify(site.warnings)}`);
      const [warning] = site.warnings;
      assert.deepEqual(
        warning!.details,
        { event: 'connect_provider_error', provider: 'grantry', providerName: 'Grantry', request: 'token', error: 'invalid_client', error_description: undefined, status: 401, endpoint: `${double.url}/token` },
        'the warning\'s fields: the provider, the token request, the provider\'s error, the HTTP status, the token endpoint',
      );
      assert.match(warning!.message, new RegExp(`Grantry \\(grantry\\) refused the token request at ${double.url}/token: HTTP 401, error invalid_client; check the client id and client secret`), `the message says it all in one line: ${warning!.message}`);
      assert.ok(!warning!.message.includes('\n'), 'the message is one line');
      const logged = JSON.stringify(site.warnings);
      const secrets = [wrongSecret, ...sentValues(double)];
      assert.ok(secrets.length >= 4, `the test saw the code, the verifier and the client authentication it checks for: ${secrets.length}`);
      for (const value of secrets) assert.ok(!logged.includes(value), `the log holds none of what the token request carried (secret, code, verifier): found ${value.slice(0, 6)}…`);
    });

    test('what a visitor brings (a stale or forged callback) is not logged as the site\'s problem', async () => {
      const before = site.warnings.length;
      const stale = await new TestBrowser(site.url).get('/auth/grantry/callback?state=stale&code=whatever');
      assert.equal(stale.status, 400, `a stale callback is refused as the visitor's: ${stale.status}`);
      assert.equal(site.warnings.length, before, 'and no warning is written for it');
    });

    test('a provider that cannot be reached is logged too', async () => {
      const closedPort = await listenFirst('127.0.0.1', 0);
      const unreachable = `http://127.0.0.1:${closedPort.port}`;
      await closedPort.close();
      const downSite = await startSite(store, [grantry({ issuer: unreachable, ...grantryClient })]);
      try {
        const browser = new TestBrowser(downSite.url);
        const start = await browser.post('/auth/grantry/login', {});
        assert.equal(start.status, 502, `a login with a provider that is down answers 502: ${start.text.slice(0, 300)}`);
        assert.equal(downSite.warnings.length, 1, 'the unreachable provider is one warning');
        assert.equal(downSite.warnings[0]!.details.error, 'unreachable', 'the warning says the provider could not be reached');
        assert.match(downSite.warnings[0]!.message, new RegExp(`logging in with Grantry \\(grantry\\) failed: unreachable: ${unreachable} could not be reached`), 'and where it was looked for');
      } finally {
        await downSite.close();
      }
    });

    test('WeChat\'s token request carries its secret and the code in the query: the log names the endpoint without it', async () => {
      const wechatDouble = await startWeChat();
      const wechatSite = await startSite(store, [wechat({ ...wechatClient, openUrl: wechatDouble.url, apiUrl: wechatDouble.url })]);
      try {
        wechatDouble.failNextToken = true;
        await loginWith(new TestBrowser(wechatSite.url), 'wechat');
        assert.equal(wechatSite.warnings.length, 1, 'the refused WeChat exchange is one warning');
        const [warning] = wechatSite.warnings;
        assert.equal(warning!.details.endpoint, `${wechatDouble.url}/sns/oauth2/access_token`, 'the endpoint is logged without its query');
        assert.equal(warning!.details.error, '40029', 'with WeChat\'s errcode');
        const tokenRequest = wechatDouble.requests.find((r) => r.path === '/sns/oauth2/access_token')!;
        const logged = JSON.stringify(warning);
        assert.ok(!logged.includes(wechatClient.appSecret), 'the app secret is not logged');
        assert.ok(!logged.includes(tokenRequest.query.code!), 'the code is not logged');
      } finally {
        await wechatSite.close();
        await wechatDouble.close();
      }
    });
  });
}

describe('where the warning goes when the site names no logger', () => {
  let double: GrantryDouble;
  let store: ConnectStore;
  let dispose: () => Promise<void>;
  before(async () => {
    double = await startGrantry();
    ({ store, dispose } = await storeKinds[0]!.openConnect());
  });
  after(async () => {
    await double.close();
    await dispose();
  });

  /** A Fastify site with Connect and no logger option given to Connect. */
  async function fastifySite(fastifyOptions: { logger?: { level: string; stream: Writable } }) {
    const early = await listenFirst('127.0.0.1', 0);
    const url = `http://127.0.0.1:${early.port}`;
    const connect = createConnect({ store, secret, siteUrl: url, providers: [grantry({ issuer: double.url, clientId: grantryClient.clientId, clientSecret: wrongSecret })] });
    const app = Fastify({ ...fastifyOptions, serverFactory: early.serverFactory });
    await app.register(connectFastify, { connect });
    await app.ready();
    return { url, close: async () => (await app.close(), await early.close()) };
  }

  test('by default, one line on stderr', async () => {
    const site = await fastifySite({});
    const written: string[] = [];
    const write = process.stderr.write;
    // Only while this one login runs; restored before any assertion.
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await loginWith(new TestBrowser(site.url), 'grantry');
    } finally {
      process.stderr.write = write;
      await site.close();
    }
    const lines = written.join('').split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(lines)}`);
    assert.match(lines[0]!, /^grantry\/connect warning: Grantry \(grantry\) refused the token request at .*\/token: HTTP 401, error invalid_client/, `the line says what the provider refused: ${lines[0]}`);
    assert.ok(!lines[0]!.includes(wrongSecret), 'the line holds no secret');
  });

  test('with Fastify logging on, in Fastify\'s log, as fields', async () => {
    const records: Array<Record<string, unknown>> = [];
    const stream = new Writable({ write: (chunk, _encoding, done) => (records.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) });
    const site = await fastifySite({ logger: { level: 'warn', stream } });
    try {
      await loginWith(new TestBrowser(site.url), 'grantry');
    } finally {
      await site.close();
    }
    const warning = records.find((record) => record.event === 'connect_provider_error');
    assert.ok(warning, `Connect's warning is in Fastify's log: ${JSON.stringify(records)}`);
    assert.equal(warning.level, 40, 'at warn level');
    assert.equal(warning.error, 'invalid_client', 'with the provider\'s error as a field');
    assert.equal(warning.status, 401, 'and the HTTP status');
    assert.match(String(warning.msg), /refused the token request/, 'and the message');
    assert.ok(!JSON.stringify(records).includes(wrongSecret), 'the log holds no secret');
  });
});

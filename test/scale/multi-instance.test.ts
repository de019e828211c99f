import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader } from 'jose';
import { makeConfig } from '../../src/config/config.ts';
import { hashPassword } from '../../src/provider/accounts/authenticate.ts';
import { registerClient } from '../../src/provider/protocol/clients.ts';
import type { Store } from '../../src/store/index.ts';
import { TestBrowser, csrfFrom, consentDecision } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { listenFirst } from '../../src/lib/listen-first.ts';
import { testSecret } from '../helpers/provider.ts';
import { postgresKind } from '../helpers/stores.ts';
import { basic } from '../helpers/basic.ts';

// Three provider processes (`grantry start`) on one PostgreSQL schema, as behind a load balancer:
// one issuer (the balancer's address, which nothing here listens on: the tests talk to each
// instance directly, as the balancer would), one GRANTRY_SECRET, one database. Whatever one
// instance does, the others must see. The last tests then put nginx on the issuer's address,
// with the proxy settings of deploy/grantry-proxy.conf, and go through it.

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const callback = 'https://app.example/callback';
const password = 'correct horse battery staple';
/** Keys are read again every second here (30 by default), and published 3 s before they sign. */
const settings = { lifetimes: { signingKeyReload: 1, signingKeyPublishBeforeUse: 3 }, argon2: { memoryCost: 1024, timeCost: 1 }, trustProxy: '127.0.0.1' };
/** Debian's nginx; .ci/run installs it when it is missing. */
const nginxBinary = '/usr/sbin/nginx';

interface Instance {
  url: string;
  child: ChildProcess;
}

/** `grantry start` on a port the system picks (--port 0), serving the shared issuer; resolves with its own address. */
async function startInstance(databaseUrl: string, issuer: string, configFile: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--port', '0', '--config', configFile], {
    env: { ...process.env, GRANTRY_SECRET: testSecret, GRANTRY_DATABASE_URL: databaseUrl, GRANTRY_ISSUER: issuer, GRANTRY_LOG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Behind the balancer the greeting names both: where the instance listens, and the issuer it serves.
  const port = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const found = /listening on http:\/\/127\.0\.0\.1:(\d+) for the issuer /.exec(output)?.[1];
      if (found) resolve(found);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}:\n${output}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await exited;
}

const basicAuth = (id: string, secret: string) => ({ authorization: basic(id, secret) });

async function post(base: string, path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function me(base: string, token: string) {
  const response = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

/** The same browser (cookie jar) talking to another instance. */
function sameBrowserAt(browser: TestBrowser, base: string): TestBrowser {
  const moved = new TestBrowser(base);
  for (const [name, value] of browser.cookies) moved.cookies.set(name, value);
  return moved;
}

interface Nginx {
  child: ChildProcess;
  port: number;
  /** Puts the instances behind it (a configuration reload) and resolves once they answer through it. */
  pointAt(instances: Instance[]): Promise<void>;
}

/**
 * nginx in front of the instances, as deploy/nginx.conf sets it up: the same upstream keepalive and
 * the proxy lines of deploy/grantry-proxy.conf, included as they are; plain http here, since the
 * tests have no certificate. It starts first, with no instance behind it yet, because its address
 * is the issuer the instances are started with; it listens on a port the system has just given
 * out, and should another process take that port first, on another.
 */
async function startNginx(dir: string): Promise<Nginx> {
  const proxyLines = resolve('deploy/grantry-proxy.conf');
  assert.ok(readFileSync(proxyLines, 'utf8').includes('proxy_pass http://grantry;'), 'deploy/grantry-proxy.conf passes requests to the grantry upstream');
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'nginx-error.log');
  const write = (port: number, upstream: string[]) =>
    writeFileSync(conf, `
    pid ${join(dir, 'nginx.pid')};
    error_log ${errorLog} warn;
    worker_processes 1;
    events {}
    http {
      access_log off;
      client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
      fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
      upstream grantry {
        ${upstream.join('\n        ')}
        keepalive 32;
      }
      server {
        listen 127.0.0.1:${port};
        client_max_body_size 64k;
        location / { include ${proxyLines}; }
      }
    }`);
  for (let attempt = 1; ; attempt++) {
    const port = await systemPickedPort();
    // No instance yet: a placeholder that is never used.
    write(port, ['server 127.0.0.1:9 down;']);
    const child = spawn(nginxBinary, ['-p', dir, '-c', conf, '-g', 'daemon off; user root;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr!.on('data', (chunk) => (errors += chunk));
    const answering = await answers(`http://127.0.0.1:${port}/healthz`, child);
    if (answering) {
      return {
        child,
        port,
        async pointAt(instances) {
          write(port, instances.map((instance) => `server ${new URL(instance.url).host} max_fails=3 fail_timeout=10s;`));
          child.kill('SIGHUP');
          // The reload is done once a request through nginx reaches an instance. While the old
          // workers hand over, a connection may be reset: that is "not yet", not a failure.
          const healthz = () => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.status, () => 0);
          for (let tries = 0; (await healthz()) !== 200; tries++) {
            if (tries > 200) throw new Error(`nginx did not take the instances up: ${readFileSync(errorLog, 'utf8')}`);
            await sleep(25);
          }
        },
      };
    }
    const log = `${errors}${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`;
    if (!/Address already in use/.test(log) || attempt >= 5) throw new Error(`nginx did not start on ${port}: ${log}`);
  }
}

/** A port the system has just given out (and taken back): for nginx, which cannot be handed a socket. */
async function systemPickedPort(): Promise<number> {
  const early = await listenFirst('127.0.0.1', 0);
  await early.close();
  return early.port;
}

/** Whether a freshly started server answers at `url` (any status), polling until it does or exits. */
async function answers(url: string, child: ChildProcess): Promise<boolean> {
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) return false;
    try {
      await fetch(url);
      return true;
    } catch {
      await sleep(25);
    }
  }
  return false;
}

/** The requests an instance has answered on `route`, from its own /metrics (loopback, no proxy). */
async function answered(instance: Instance, route: string): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('grantry_http_requests_total{') && line.includes(`route="${route}"`))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('three instances on one PostgreSQL database', () => {
  let opened: Awaited<ReturnType<typeof postgresKind.open>>;
  let store: Store;
  let dir: string;
  let configFile: string;
  let issuer: string;
  let a: Instance;
  let b: Instance;
  let c: Instance;
  let web: { id: string; secret: string };
  let service: { id: string; secret: string };
  let opaqueService: { id: string; secret: string };
  let username: string;
  let nginx: Nginx | undefined;

  before(async () => {
    opened = await postgresKind.open();
    store = opened.store;
    dir = mkdtempSync(join(tmpdir(), 'grantry-multi-'));
    configFile = join(dir, 'grantry.json');
    writeFileSync(configFile, JSON.stringify(settings));
    assert.ok(existsSync(nginxBinary), `nginx is needed at ${nginxBinary} (apt-get install nginx-light; .ci/run installs it)`);
    // The balancer first: its address is the issuer every instance serves.
    nginx = await startNginx(dir);
    issuer = `http://127.0.0.1:${nginx.port}`;
    // The first instance creates the first signing key; the others then find it.
    a = await startInstance(opened.url, issuer, configFile);
    [b, c] = await Promise.all([startInstance(opened.url, issuer, configFile), startInstance(opened.url, issuer, configFile)]);
    const config = makeConfig({ secret: testSecret, ...settings });
    const webApp = await registerClient(store, config, { name: 'Web', appType: 'web', redirectUris: [callback] });
    web = { id: webApp.client.id, secret: webApp.clientSecret! };
    const serviceApp = await registerClient(store, config, { name: 'Service', appType: 'service' });
    service = { id: serviceApp.client.id, secret: serviceApp.clientSecret! };
    const opaqueApp = await registerClient(store, config, { name: 'Opaque service', appType: 'service', tokenFormat: 'opaque' });
    opaqueService = { id: opaqueApp.client.id, secret: opaqueApp.clientSecret! };
    username = 'multi';
    await store.users.create({ username, passwordHash: await hashPassword(config, password), displayName: 'Multi', email: null });
  });

  after(async () => {
    if (nginx && nginx.child.exitCode === null) {
      const stopped = new Promise((done) => nginx!.child.once('exit', done));
      nginx.child.kill('SIGTERM');
      await stopped;
    }
    await Promise.all([a, b, c].filter(Boolean).map(stopInstance));
    await opened?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const authorizePath = () =>
    `/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: web.id, redirect_uri: callback, scope: 'profile', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' })}`;

  /** Logs in on A, loads the consent page from B, posts it to C, and returns the code C issued. */
  async function codeThroughInstances(): Promise<string> {
    const atA = new TestBrowser(a.url);
    const login = await atA.login(username, password);
    assert.equal(login.status, 303, login.text);
    const atB = sameBrowserAt(atA, b.url);
    const page = await atB.get(authorizePath());
    if (page.status === 302) {
      // Consent already remembered (an earlier test gave it): B answers with a code at once, not with a login.
      const location = new URL(page.location!, b.url);
      assert.equal(`${location.origin}${location.pathname}`, callback, 'with remembered consent B sends the browser straight back to the app\'s callback');
      return location.searchParams.get('code')!;
    }
    assert.equal(page.status, 200, 'the session made on A is known on B: B asks for consent, not for a login');
    // The consent form B served is posted to C.
    const atC = sameBrowserAt(atB, c.url);
    const allowed = await atC.post('/oauth2/authorize', consentDecision(page.text, 'allow'));
    assert.equal(allowed.status, 303, allowed.text);
    const location = new URL(allowed.location!);
    assert.equal(location.searchParams.get('iss'), issuer, 'C names the issuer as iss on the redirect back, not its own address');
    return location.searchParams.get('code')!;
  }

  test('a login on A continues on B and C; a code issued by C is redeemed at A; the tokens work on B', async () => {
    const code = await codeThroughInstances();
    const tokens = await post(a.url, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: verifier }, basicAuth(web.id, web.secret));
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const profile = await me(b.url, tokens.body.access_token);
    assert.equal(profile.status, 200, `a token issued at A works at /api/me on B: ${JSON.stringify(profile.body)}`);
    assert.equal(profile.body.username, username, 'the token issued at A speaks for the user at B');
    // The same code at another instance is a replay, seen as one everywhere.
    const replay = await post(c.url, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: verifier }, basicAuth(web.id, web.secret));
    assert.equal(replay.status, 400, `the same code at another instance is a replay: ${JSON.stringify(replay.body)}`);
    assert.equal(replay.body.error, 'invalid_grant', 'a replayed code is invalid_grant on every instance');
  });

  test('a remembered consent given on one instance is remembered on the others', async () => {
    const atB = new TestBrowser(b.url);
    assert.equal((await atB.login(username, password)).status, 303, 'the user logs in on B with a 303');
    const atC = sameBrowserAt(atB, c.url);
    const again = await atC.get(authorizePath());
    assert.equal(again.status, 302, 'no consent page: the consent given earlier is remembered');
    assert.ok(new URL(again.location!).searchParams.get('code'), `C answers with a code at once: ${again.location}`);
  });

  test('40 concurrent uses of one refresh token across the three instances: exactly one succeeds', async () => {
    const code = await codeThroughInstances();
    const tokens = await post(b.url, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: verifier }, basicAuth(web.id, web.secret));
    assert.equal(tokens.status, 200, `the code is redeemed at B: ${JSON.stringify(tokens.body)}`);
    const instances = [a, b, c];
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(instances[i % 3]!.url, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, basicAuth(web.id, web.secret))),
    );
    const succeeded = replies.filter((reply) => reply.status === 200);
    assert.equal(succeeded.length, 1, JSON.stringify(replies.map((reply) => reply.status)));
    for (const reply of replies.filter((r) => r.status !== 200)) {
      assert.equal(reply.status, 400, `every other use of the refresh token is refused with 400: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.error, 'invalid_grant', 'every other use of the refresh token is invalid_grant');
    }
  });

  test('a grant revoked at A is refused at once at B and C: /api/me and introspection', async () => {
    const code = await codeThroughInstances();
    const tokens = await post(c.url, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: verifier }, basicAuth(web.id, web.secret));
    const token = tokens.body.access_token;
    // B has seen (and remembered the signature of) the token before the revocation.
    assert.equal((await me(b.url, token)).status, 200, 'the token works at B before the revocation');
    assert.equal(
      (await post(c.url, '/oauth2/introspect', { token }, basicAuth(service.id, service.secret))).body.active,
      true,
      'the token introspects as active at C before the revocation',
    );
    assert.equal((await post(a.url, '/oauth2/revoke', { token }, basicAuth(web.id, web.secret))).status, 200, 'the revocation at A answers 200');
    const refused = await me(b.url, token);
    assert.equal(refused.status, 401, `the token revoked at A is refused at once at B: ${JSON.stringify(refused.body)}`);
    assert.equal(refused.body.error, 'invalid_token', 'the token revoked at A is invalid_token at B');
    assert.deepEqual(
      (await post(c.url, '/oauth2/introspect', { token }, basicAuth(service.id, service.secret))).body,
      { active: false },
      'the token revoked at A introspects as inactive at C',
    );
    const refresh = await post(b.url, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, basicAuth(web.id, web.secret));
    assert.equal(refresh.body.error, 'invalid_grant', `the refresh token of the revoked grant is invalid_grant at B: ${JSON.stringify(refresh.body)}`);
  });

  test('an app\'s own token revoked at A is refused at once at B and C (JWT by jti, opaque by its row)', async () => {
    const jwt = (await post(b.url, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(service.id, service.secret))).body.access_token;
    assert.equal(
      (await post(c.url, '/oauth2/introspect', { token: jwt }, basicAuth(service.id, service.secret))).body.active,
      true,
      'the app\'s JWT introspects as active at C before the revocation',
    );
    assert.equal((await post(a.url, '/oauth2/revoke', { token: jwt }, basicAuth(service.id, service.secret))).status, 200, 'revoking the app\'s JWT at A answers 200');
    assert.deepEqual(
      (await post(c.url, '/oauth2/introspect', { token: jwt }, basicAuth(service.id, service.secret))).body,
      { active: false },
      'the JWT revoked at A (by its jti) introspects as inactive at C',
    );
    assert.equal((await me(b.url, jwt)).status, 401, 'the JWT revoked at A is refused at B');
    const auth = basicAuth(opaqueService.id, opaqueService.secret);
    const opaque = (await post(c.url, '/oauth2/token', { grant_type: 'client_credentials' }, auth)).body.access_token;
    assert.equal((await post(b.url, '/oauth2/introspect', { token: opaque }, auth)).body.active, true, 'the app\'s opaque token introspects as active at B before the revocation');
    assert.equal((await post(a.url, '/oauth2/revoke', { token: opaque }, auth)).status, 200, 'revoking the opaque token at A answers 200');
    assert.deepEqual((await post(b.url, '/oauth2/introspect', { token: opaque }, auth)).body, { active: false }, 'the opaque token revoked at A introspects as inactive at B');
    assert.equal((await me(c.url, opaque)).status, 401, 'the opaque token revoked at A is refused at C');
  });

  test('a client secret rotated through the CLI (another process) works at once on every instance, caches warm or not', async () => {
    // Warm B's and C's client caches with the current secret first.
    for (const instance of [b, c])
      assert.equal(
        (await post(instance.url, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(service.id, service.secret))).status,
        200,
        `${instance.url} issues a token with the current secret (warming its client cache)`,
      );
    const rotated = await runCli(['client', 'rotate-secret', service.id, '--json'], { env: { GRANTRY_DATABASE_URL: opened.url, GRANTRY_CONFIG: configFile } });
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = rotated.json<{ client_secret: string }>().client_secret;
    for (const instance of [a, b, c]) {
      const reply = await post(instance.url, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(service.id, fresh));
      assert.equal(reply.status, 200, `${instance.url}: ${JSON.stringify(reply.body)}`);
    }
    service = { ...service, secret: fresh };
  });

  test('a key rotated through the CLI is published by every instance within signingKeyReload, and signs once active', async () => {
    const rotated = await runCli(['keys', 'rotate', '--json'], { env: { GRANTRY_DATABASE_URL: opened.url, GRANTRY_CONFIG: configFile } });
    assert.equal(rotated.code, 0, rotated.stderr);
    const { kid, active_from: activeFrom } = rotated.json<{ kid: string; active_from: number }>();
    const rotatedAt = Date.now();
    // Published everywhere within the reload interval (1 s here), with some slack for a busy machine.
    for (const instance of [a, b, c]) {
      let published = false;
      while (!published && Date.now() - rotatedAt < 1000 + 2000) {
        const jwks = (await (await fetch(`${instance.url}/oauth2/jwks`)).json()) as { keys: { kid: string }[] };
        published = jwks.keys.some((key) => key.kid === kid);
        if (!published) await sleep(100);
      }
      assert.ok(published, `${instance.url} publishes the new key`);
    }
    // Once active (3 s after the rotation), every instance signs with it, within one more reload.
    await sleep(Math.max(0, activeFrom * 1000 - Date.now()) + 1000 + 500);
    const tokens = await Promise.all(
      [a, b, c].map(async (instance) => (await post(instance.url, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(service.id, service.secret))).body.access_token as string),
    );
    for (const token of tokens) assert.equal(decodeProtectedHeader(token).kid, kid, 'every instance signs with the new key once it is active');
    // A token the new key signed at B is good at A and C.
    assert.equal(
      (await post(a.url, '/oauth2/introspect', { token: tokens[1]! }, basicAuth(service.id, service.secret))).body.active,
      true,
      'a token the new key signed at B introspects as active at A',
    );
    assert.equal(
      (await post(c.url, '/oauth2/introspect', { token: tokens[1]! }, basicAuth(service.id, service.secret))).body.active,
      true,
      'a token the new key signed at B introspects as active at C',
    );
  });

  test('behind nginx with deploy/grantry-proxy.conf: the whole flow at the issuer\'s address, requests spread over the three', async () => {
    await nginx!.pointAt([a, b, c]);
    const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; token_endpoint: string };
    assert.equal(metadata.issuer, issuer, 'the metadata through nginx names the issuer\'s address');
    assert.equal(metadata.token_endpoint, `${issuer}/oauth2/token`, 'the token endpoint in the metadata is at the issuer\'s address');

    const before = await Promise.all([a, b, c].map((instance) => answered(instance, '/healthz')));
    for (let i = 0; i < 30; i++) assert.equal((await fetch(`${issuer}/healthz`)).status, 200, 'nginx answers /healthz through the instances');
    const after = await Promise.all([a, b, c].map((instance) => answered(instance, '/healthz')));
    const spread = after.map((count, i) => count - before[i]!);
    assert.equal(spread.reduce((x, y) => x + y), 30, `the instances together answered the 30 requests: ${spread.join(', ')}`);
    assert.ok(spread.every((count) => count >= 5), `round robin reaches every instance: ${spread.join(', ')}`);

    // A browser that only knows the issuer's address: login, remembered consent, code, token, profile.
    const browser = new TestBrowser(issuer);
    assert.equal((await browser.login(username, password)).status, 303, 'the browser logs in at the issuer\'s address with a 303');
    const authorized = await browser.get(authorizePath());
    assert.equal(authorized.status, 302, authorized.text);
    const location = new URL(authorized.location!, issuer);
    assert.equal(`${location.origin}${location.pathname}`, callback, 'the remembered consent sends the browser straight back to the app\'s callback');
    assert.equal(location.searchParams.get('iss'), issuer, 'the redirect back names the issuer as iss');
    const tokens = await post(issuer, '/oauth2/token', { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: callback, code_verifier: verifier }, basicAuth(web.id, web.secret));
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal((await me(issuer, tokens.body.access_token)).body.username, username, 'the token issued through nginx speaks for the user at /api/me');
    // /metrics is for whoever scrapes each instance, not for callers through the proxy.
    assert.equal((await fetch(`${issuer}/metrics`)).status, 403, '/metrics through the proxy is refused with 403');
  });

  test('behind nginx: an instance stopped with SIGTERM is left out, and no request through nginx fails', async () => {
    assert.ok(nginx, 'nginx runs (previous test)');
    await stopInstance(c);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => post(issuer, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(service.id, service.secret))),
    );
    assert.deepEqual(replies.map((reply) => reply.status), Array(30).fill(200), 'no request through nginx fails while an instance is stopped');
    for (const reply of replies.slice(0, 5)) {
      assert.equal(
        (await post(issuer, '/oauth2/introspect', { token: reply.body.access_token }, basicAuth(service.id, service.secret))).body.active,
        true,
        'each token issued while an instance is stopped introspects as active',
      );
    }
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeConfig } from '../../src/config/config.ts';
import { randomToken, s256, sha256 } from '../../src/lib/crypto.ts';
import { registerClient } from '../../src/provider/protocol/clients.ts';
import { testSecret } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, redirectUri } from '../provider/token-fixtures.ts';
import { checkStoreConsistency } from './consistency.ts';

// The provider as its own process (`grantry start`), killed with SIGKILL in the middle of a
// stream of token requests, then started again on the same store, several times over. Every
// token response that reached the client must still work afterwards, and the store must be
// consistent. A request that was under way at the kill has an unknown fate (the server may have
// written its answer's tokens and died before sending them): its input is not used again.

const mainTs = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const kills = 3;
const workers = 8;

interface Provider {
  child: ChildProcess;
  exited: Promise<void>;
  port: number;
}

/**
 * `grantry start` in its own process: first on port 0 (the system picks a free one), then, after
 * each kill, again on the port it had, as a supervisor restarts a crashed server on its address.
 */
async function startChild(port: number, databaseUrl: string): Promise<Provider> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainTs, 'start', '--port', String(port), '--host', '127.0.0.1', '--issuer', `http://127.0.0.1:${port}`, '--database-url', databaseUrl], {
    cwd: root,
    env: { ...process.env, GRANTRY_SECRET: testSecret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the provider did not start:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const found = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(Number(found));
      }
    });
    child.stderr!.on('data', (chunk) => (output += chunk));
    void exited.then(() => reject(new Error(`the provider exited:\n${output}`)));
  });
  return { child, exited, port: listening };
}

interface Reply {
  status: number;
  body: any;
}

function post(agent: Agent, port: number, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const kind of storeKinds) {
  describe(`SIGKILL in the middle of token requests, on ${kind.name}`, () => {
    test(`${kills} kills and restarts: every token that reached the client works, the store is consistent`, async (t) => {
      const opened = await kind.open();
      const config = makeConfig({ secret: testSecret });
      const web = await registerClient(opened.store, config, { appType: 'web', name: 'Crash web', redirectUris: [redirectUri] });
      const service = await registerClient(opened.store, config, { appType: 'service', name: 'Crash service' });
      const user = await opened.store.users.create({ username: 'crash', passwordHash: 'unused', displayName: 'Crash', email: 'crash@example.com' });
      const at = Math.floor(Date.now() / 1000);
      // Codes made as the authorization endpoint makes them, valid for the whole test.
      const codes = await Promise.all(Array.from({ length: 400 }, async () => {
        const code = randomToken(32);
        const verifier = randomToken(32);
        await opened.store.codes.create({
          codeHash: sha256(code), grantId: randomUUID(), clientId: web.client.id, userId: user.id, redirectUri, scope: 'profile', codeChallenge: s256(verifier), expiresAt: at + 3600,
        });
        return { code, verifier };
      }));
      const webAuth = basicAuth(web.client.id, web.clientSecret!);
      const serviceAuth = basicAuth(service.client.id, service.clientSecret!);

      /** Access tokens that reached the client, with whether they speak for a user. */
      const accessTokens: { token: string; user: boolean }[] = [];
      /** The newest refresh token of each grant that reached the client and has not been sent since. */
      const unusedRefreshTokens = new Set<string>();
      const figures = { sent: 0, answered: 0, lost: 0, kills: 0 };

      let provider = await startChild(0, opened.url);
      const { port } = provider;
      try {
        for (let cycle = 0; cycle < kills; cycle++) {
          const agent = new Agent({ keepAlive: true, maxSockets: workers });
          let killed = false;
          const worker = async (index: number) => {
            for (let n = 0; !killed; n++) {
              const choice = (index + n) % 3;
              let form: Record<string, string>;
              let auth = webAuth;
              let spent: string | undefined;
              if (choice === 0 && codes.length > 0) {
                const { code, verifier } = codes.pop()!;
                form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
              } else if (choice === 1 && unusedRefreshTokens.size > 0) {
                spent = unusedRefreshTokens.values().next().value!;
                unusedRefreshTokens.delete(spent);
                form = { grant_type: 'refresh_token', refresh_token: spent };
              } else {
                form = { grant_type: 'client_credentials' };
                auth = serviceAuth;
              }
              figures.sent++;
              let reply: Reply;
              try {
                reply = await post(agent, port, '/oauth2/token', form, auth);
              } catch {
                figures.lost++;
                continue;
              }
              assert.equal(reply.status, 200, JSON.stringify(reply.body));
              figures.answered++;
              accessTokens.push({ token: reply.body.access_token, user: form.grant_type !== 'client_credentials' });
              if (reply.body.refresh_token) unusedRefreshTokens.add(reply.body.refresh_token);
            }
          };
          const stream = Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
          // Kill once the stream is well under way, at a moment that differs from cycle to cycle.
          const target = figures.answered + 60 + cycle * 37;
          while (figures.answered < target) await new Promise((resolve) => setTimeout(resolve, 5));
          provider.child.kill('SIGKILL');
          killed = true;
          await provider.exited;
          figures.kills++;
          await stream;
          agent.destroy();
          provider = await startChild(port, opened.url);
        }

        // After the last restart: every access token is active, every unused refresh token refreshes.
        const agent = new Agent({ keepAlive: true, maxSockets: workers });
        let checked = 0;
        const queue = [
          ...accessTokens.map((a) => async () => {
            const reply = await post(agent, port, '/oauth2/introspect', { token: a.token }, serviceAuth);
            assert.equal(reply.body.active, true, `access token ${a.token.slice(0, 12)}… is not active`);
            checked++;
          }),
          ...[...unusedRefreshTokens].map((token) => async () => {
            const reply = await post(agent, port, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: token }, webAuth);
            assert.equal(reply.status, 200, JSON.stringify(reply.body));
            const me = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { authorization: `Bearer ${reply.body.access_token}` } });
            assert.equal(me.status, 200, 'the refreshed access token is accepted at /api/me after the last restart');
            checked++;
          }),
        ];
        await Promise.all(Array.from({ length: workers }, async () => {
          while (queue.length > 0) await queue.pop()!();
        }));
        // Access tokens that speak for a user also read /api/me (a sample: introspection covered them all).
        for (const a of accessTokens.filter((x) => x.user).slice(0, 50)) {
          const me = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { authorization: `Bearer ${a.token}` } });
          assert.equal(me.status, 200, `access token ${a.token.slice(0, 12)}… is accepted at /api/me after the last restart`);
        }
        agent.destroy();
        const { problems, counts } = await checkStoreConsistency(opened.url);
        assert.deepEqual(problems, [], 'the store is consistent after the kills');
        const message = `crash on ${kind.name}: ${figures.kills} SIGKILLs survived; ${figures.sent} token requests sent, ${figures.answered} answered, ${figures.lost} cut off by a kill; ` +
          `${checked} tokens checked afterwards (${accessTokens.length} access tokens active, ${unusedRefreshTokens.size} refresh tokens refreshed), 0 lost; store: ${JSON.stringify(counts)}, no orphan rows, at most one live refresh token per grant`;
        t.diagnostic(message);
        assert.equal(figures.kills, kills, `every planned SIGKILL was sent: ${message}`);
        assert.ok(figures.answered > kills * 60, `the provider answered requests between the kills: ${message}`);
      } finally {
        provider.child.kill('SIGKILL');
        await provider.exited;
        await opened.dispose();
      }
    });
  });
}

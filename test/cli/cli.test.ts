import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/lib/crypto.ts';
import type { Store } from '../../src/store/index.ts';
import { grantryCommand, runCli, startUntilListening } from '../helpers/cli.ts';
import { testSecret } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';

for (const kind of storeKinds) {
  describe(`grantry command line on ${kind.name}`, () => {
    let store: Store;
    let url: string;
    let dispose: () => Promise<void>;
    const cwd = mkdtempSync(join(tmpdir(), 'grantry-cli-'));
    before(async () => ({ store, url, dispose } = await kind.open()));
    after(() => dispose());

    const cli = (...args: string[]) => runCli([...args, '--database-url', url, '--json'], { cwd });

    test('user create prints the new user as JSON and stores only an Argon2id hash', async () => {
      const result = await cli('user', 'create', '--username', 'weibo_fan', '--password', 'a long password', '--email', 'fan@example.com');
      assert.equal(result.code, 0, result.stderr);
      const printed = result.json();
      assert.equal(printed.username, 'weibo_fan', 'user create prints the new username');
      const user = await store.users.findByUsername('weibo_fan');
      assert.equal(user?.id, printed.uid, 'the printed uid is the stored user\'s id');
      assert.match(user!.passwordHash, /^\$argon2id\$/, 'only an Argon2id hash of the password is stored');
    });

    test('user create refuses a taken username with exit code 2', async () => {
      const result = await cli('user', 'create', '--username', 'weibo_fan', '--password', 'another password');
      assert.equal(result.code, 2, `user create refuses a taken username with exit code 2: ${result.stderr}`);
      assert.match(result.stderr, /taken/, 'the refusal says the username is taken');
    });

    // Issue 13, finding 5: the consent page names an app's owner by username, so no username may read as a sentence.
    test('user create refuses a username that is not 3 to 32 letters, digits, "_", "." or "-"', async () => {
      for (const username of ['the operator of this site', 'ab', 'x'.repeat(33), 'ａｌｉｃｅ']) {
        const result = await cli('user', 'create', '--username', username, '--password', 'a long password');
        assert.equal(result.code, 2, `"${username}" is refused with exit code 2: ${result.stderr}`);
        assert.equal(await store.users.findByUsername(username), undefined, `"${username}" is not stored`);
      }
    });

    // Issue 13, finding 3: only an operator lets a public app skip the one-click confirmation.
    test('client create --silent-returning and client update --no-silent-returning set and clear it', async () => {
      const created = await cli('client', 'create', '--name', 'Desk', '--type', 'native', '--redirect-uri', 'http://127.0.0.1/cb', '--silent-returning');
      assert.equal(created.code, 0, created.stderr);
      const id = created.json().client_id;
      assert.equal(created.json().silent_returning, true, 'client create prints silent_returning');
      assert.equal((await store.clients.find(id))?.silentReturning, true, 'the app is stored with silent returning on');
      const cleared = await cli('client', 'update', id, '--no-silent-returning');
      assert.equal(cleared.code, 0, cleared.stderr);
      assert.equal((await store.clients.find(id))?.silentReturning, false, 'client update --no-silent-returning turns it off');
      const plain = await cli('client', 'create', '--name', 'Desk 2', '--type', 'native', '--redirect-uri', 'http://127.0.0.1/cb');
      assert.equal(plain.json().silent_returning, false, 'off unless asked for');
    });

    test('client create prints client_id and client_secret; the secret is stored as its SHA-256', async () => {
      const result = await cli('client', 'create', '--name', 'Seed app', '--type', 'web', '--redirect-uri', 'https://seed.example/callback', '--no-pkce');
      assert.equal(result.code, 0, result.stderr);
      const printed = result.json();
      const client = await store.clients.find(printed.client_id);
      assert.equal(client?.secretHash, sha256(printed.client_secret), 'the client secret is stored as its SHA-256');
      assert.equal(client?.pkceRequired, false, '--no-pkce turns PKCE off for a confidential web app');
      assert.deepEqual(client?.grantTypes, ['authorization_code', 'refresh_token'], 'a web app gets authorization_code and refresh_token by default');
    });

    test('a public app gets no secret, and cannot turn PKCE off', async () => {
      const spa = await cli('client', 'create', '--name', 'SPA', '--type', 'spa', '--redirect-uri', 'https://spa.example/cb');
      assert.equal(spa.code, 0, spa.stderr);
      assert.equal(spa.json().client_secret, undefined, `a public app gets no secret: ${spa.stdout}`);
      const noPkce = await cli('client', 'create', '--name', 'SPA', '--type', 'spa', '--redirect-uri', 'https://spa.example/cb', '--no-pkce');
      assert.equal(noPkce.code, 2, `a public app cannot turn PKCE off: exit code 2: ${noPkce.stderr}`);
      assert.match(noPkce.stderr, /PKCE is always required/, 'the refusal says PKCE is always required for a public app');
    });

    test('a service app gets client_credentials and needs no redirect URI', async () => {
      const result = await cli('client', 'create', '--name', 'Resource server', '--type', 'service');
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.json().grant_types, ['client_credentials'], `a service app gets client_credentials only: ${result.stdout}`);
    });

    test('redirect URIs must be https or loopback http, without fragments', async () => {
      for (const uri of ['http://app.example/cb', 'https://app.example/cb#frag', 'not a url']) {
        const result = await cli('client', 'create', '--name', 'X', '--type', 'web', '--redirect-uri', uri);
        assert.equal(result.code, 2, uri);
      }
      const loopback = await cli('client', 'create', '--name', 'X', '--type', 'native', '--redirect-uri', 'http://127.0.0.1/cb');
      assert.equal(loopback.code, 0, loopback.stderr);
    });

    test('client update changes grants and the trusted flag; the password grant needs trusted', async () => {
      const { client_id } = (await cli('client', 'create', '--name', 'First party', '--type', 'web', '--redirect-uri', 'https://fp.example/cb')).json();
      const refused = await cli('client', 'update', client_id, '--grant', 'password');
      assert.equal(refused.code, 2, `the password grant without --trusted is refused with exit code 2: ${refused.stderr}`);
      assert.match(refused.stderr, /trusted/, 'the refusal says the password grant needs trusted');
      const updated = await cli('client', 'update', client_id, '--grant', 'authorization_code', '--grant', 'password', '--trusted', '--token-format', 'opaque');
      assert.equal(updated.code, 0, updated.stderr);
      const client = await store.clients.find(client_id);
      assert.deepEqual(client?.grantTypes, ['authorization_code', 'password'], 'client update replaces the grant types');
      assert.equal(client?.trusted, true, 'client update sets the trusted flag');
      assert.equal(client?.tokenFormat, 'opaque', 'client update sets the token format');
    });

    test('client update --add-grant and --remove-grant change the list; the README\'s command keeps the code flow', async () => {
      const { client_id } = (await cli('client', 'create', '--name', 'Mobile first party', '--type', 'web', '--redirect-uri', 'https://mfp.example/cb')).json();
      // The README's command for the password grant: the app keeps authorization_code and refresh_token.
      const added = await runCli(['client', 'update', client_id, '--trusted', '--add-grant', 'password', '--database-url', url], { cwd });
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /grant types: {3}authorization_code, refresh_token, password\n/, `the resulting grant types are printed: ${added.stdout}`);
      assert.deepEqual((await store.clients.find(client_id))?.grantTypes, ['authorization_code', 'refresh_token', 'password'], '--add-grant adds, keeping the rest');
      const removed = await cli('client', 'update', client_id, '--remove-grant', 'password', '--add-redirect-uri', 'https://mfp.example/two', '--remove-redirect-uri', 'https://mfp.example/cb');
      assert.equal(removed.code, 0, removed.stderr);
      const stored = await store.clients.find(client_id);
      assert.deepEqual([stored?.grantTypes, stored?.redirectUris], [['authorization_code', 'refresh_token'], ['https://mfp.example/two']], '--remove-grant and the redirect URI flags change only what they name');
      const both = await cli('client', 'update', client_id, '--grant', 'password', '--add-grant', 'implicit');
      assert.equal(both.code, 2, `--grant with --add-grant is a usage error: ${both.stderr}`);
      assert.match(both.stderr, /--grant replaces the list/, 'which says why');
      const unknown = await cli('client', 'update', '0123456789abcdef0123456789abcdef', '--add-grant', 'password');
      assert.match(unknown.stderr, /no app has the client_id/, `an unknown app is said: ${unknown.stderr}`);
    });

    test('client delete needs --yes, then removes the app', async () => {
      const { client_id } = (await cli('client', 'create', '--name', 'Short lived', '--type', 'service')).json();
      const unsure = await cli('client', 'delete', client_id);
      assert.equal(unsure.code, 2, `without --yes nothing is deleted: ${unsure.stderr}`);
      assert.ok(await store.clients.find(client_id), 'the app is still there');
      const deleted = await cli('client', 'delete', client_id, '--yes');
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(await store.clients.find(client_id), undefined, 'the app is gone');
      const again = await cli('client', 'delete', client_id, '--yes');
      assert.match(again.stderr, /no app has the client_id/, `a second delete says there is no such app: ${again.stderr}`);
    });

    test('keys rotate adds a key that is published before it signs', async () => {
      const result = await cli('keys', 'rotate', '--publish-for', '600');
      assert.equal(result.code, 0, result.stderr);
      const printed = result.json();
      assert.ok(printed.active_from >= Date.now() / 1000 + 590, `the new key signs only after the 600 seconds it is published for: ${result.stdout}`);
      const keys = await store.keys.list();
      assert.ok(keys.some((key) => key.kid === printed.kid), `the rotated key is stored: ${result.stdout}`);
      assert.ok(keys.every((key) => !key.privateJwk.includes('"d"')), 'private keys are sealed at rest');
    });

    test('an operator defines more scopes in grantry.config.json', async () => {
      const refused = await cli('client', 'create', '--name', 'Photos', '--type', 'service', '--scope', 'photos');
      assert.equal(refused.code, 2, `a scope not defined in the config is refused with exit code 2: ${refused.stderr}`);
      assert.match(refused.stderr, /unknown scope "photos"/, 'the refusal names the unknown scope');
      const configured = mkdtempSync(join(tmpdir(), 'grantry-config-'));
      writeFileSync(join(configured, 'grantry.config.json'), JSON.stringify({ scopes: { photos: 'See your photos' } }));
      const accepted = await runCli(['client', 'create', '--name', 'Photos', '--type', 'service', '--scope', 'photos', '--database-url', url, '--json'], { cwd: configured });
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.deepEqual(accepted.json().scopes, ['photos'], `a scope defined in grantry.config.json is accepted: ${accepted.stdout}`);
      writeFileSync(join(configured, 'grantry.config.json'), JSON.stringify({ secret: 'x'.repeat(40) }));
      const secretInFile = await runCli(['client', 'list', '--database-url', url], { cwd: configured });
      assert.equal(secretInFile.code, 2, `a secret in the config file is refused with exit code 2: ${secretInFile.stderr}`);
      assert.match(secretInFile.stderr, /GRANTRY_SECRET/, 'the refusal says the secret belongs in GRANTRY_SECRET');
    });

    test('an unknown option is a usage error, not a crash', async () => {
      const result = await cli('client', 'create', '--colour', 'blue');
      assert.equal(result.code, 2, `an unknown option is a usage error with exit code 2: ${result.stderr}`);
      assert.match(result.stderr, /colour/, 'the usage error names the unknown option');
    });
  });
}

describe('grantry start', () => {
  test('serves the provider on the port the system gives (--port 0) and its store, and creates no users or apps', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'grantry-start-'));
    const child = spawn(process.execPath, [...grantryCommand, 'start', '--port', '0'], {
      cwd,
      env: { ...process.env, GRANTRY_SECRET: testSecret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      let output = '';
      const port = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          output += chunk;
          const found = /listening on http:\/\/localhost:(\d+)/.exec(output)?.[1];
          if (found) resolve(found);
        });
        void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      assert.notEqual(port, '0', `grantry start prints the port it was given, not 0: ${output}`);
      const metadata = await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)).json();
      assert.equal(metadata.issuer, `http://localhost:${port}`, 'the issuer defaults to localhost on the port it listens on');
      const list = await runCli(['client', 'list', '--json'], { cwd });
      assert.deepEqual(list.json().clients, [], `grantry start creates no apps: ${list.stderr}`);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, 'grantry start ends cleanly on SIGTERM');
  });

  test('--demo-port moves the demo website, and its apps\' callback URLs (and the logout return URL) follow it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'grantry-demo-port-'));
    const demoApps = async () => {
      const demo = JSON.parse(readFileSync(join(cwd, 'data/demo.json'), 'utf8')) as { clientId: string; implicitClientId: string };
      const apps = (await runCli(['client', 'list', '--json', '--database-url', 'sqlite:./data/grantry.sqlite'], { cwd })).json().clients as { client_id: string; redirect_uris: string[]; post_logout_redirect_uris: string[] }[];
      return apps.filter((app) => app.client_id === demo.clientId || app.client_id === demo.implicitClientId);
    };
    const callbacks = async () => (await demoApps()).flatMap((app) => app.redirect_uris).sort();
    const logoutReturns = async () => (await demoApps()).flatMap((app) => app.post_logout_redirect_uris).sort();
    // --demo-port 0: the system picks the port each time, and the start says which.
    const portOf = (output: string) => /demo website: http:\/\/localhost:(\d+)/.exec(output)?.[1];
    const once = await startUntilListening(cwd, { GRANTRY_SECRET: testSecret }, ['--demo', '--demo-port', '0']);
    const first = portOf(once);
    assert.ok(first && first !== '0', `the demo website says where it runs: ${once}`);
    assert.ok((await callbacks()).every((uri) => uri.startsWith(`http://localhost:${first}/`)), 'the demo apps call back to that port');
    const again = await startUntilListening(cwd, { GRANTRY_SECRET: testSecret, GRANTRY_DEMO_PORT: '0' }, ['--demo']);
    const second = portOf(again);
    assert.ok(second && second !== first, `GRANTRY_DEMO_PORT moves it (${first} → ${second}): ${again}`);
    assert.deepEqual(
      await callbacks(),
      [`http://localhost:${second}/auth/grantry/callback`, `http://localhost:${second}/implicit`, `http://localhost:${second}/spa/callback`],
      'and the callback URLs follow it',
    );
    assert.deepEqual(await logoutReturns(), [`http://localhost:${second}/`], "the demo website's app has the site's home page as its logout return URL, at the new port (RP-initiated logout)");
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestBrowser, csrfFrom, consentDecision } from '../helpers/browser.ts';
import { grantryCommand, runCli } from '../helpers/cli.ts';
import { startProvider, testSecret, type RunningProvider } from '../helpers/provider.ts';
import { signIn } from '../helpers/session.ts';
import { sqliteKind } from '../helpers/stores.ts';

// `grantry token …` talks HTTP to a running provider, so one store suffices here: what it
// exercises is the command, and the grants themselves are tested on both stores elsewhere.
// Secrets and refresh tokens are base64url and may begin with '-': they are passed as --flag=value,
// as a person must then too (the option parser says so when they are not).

describe('grantry token', () => {
  let provider: RunningProvider;
  before(async () => (provider = await startProvider(sqliteKind)));
  after(() => provider.close());

  test('client-credentials prints the token response', async () => {
    const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
    const result = await runCli(['token', 'client-credentials', '--issuer', provider.url, '--client-id', client.id, `--client-secret=${clientSecret!}`]);
    assert.equal(result.code, 0, result.stderr);
    const token = result.json();
    assert.equal(token.token_type, 'Bearer', 'client-credentials prints a Bearer token');
    assert.equal(token.refresh_token, undefined, 'client-credentials gives no refresh token');
  });

  test('password, then refresh with the refresh token it printed', async () => {
    const user = await provider.createUser('cli_user', 'cli password 123');
    const { client, clientSecret } = await provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['password', 'refresh_token'] });
    const password = await runCli(['token', 'password', '--issuer', provider.url, '--client-id', client.id, `--client-secret=${clientSecret!}`, '--username', 'cli_user', '--password', 'cli password 123']);
    assert.equal(password.code, 0, password.stderr);
    assert.equal(password.json().uid, user.id, 'the password grant prints the uid of the user');
    const refreshed = await runCli(['token', 'refresh', '--issuer', provider.url, '--client-id', client.id, `--client-secret=${clientSecret!}`, `--refresh-token=${password.json().refresh_token}`]);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.notEqual(refreshed.json().refresh_token, password.json().refresh_token, 'the refresh prints a new refresh token');
  });

  test('a refused grant prints the error and exits with 2', async () => {
    const { client } = await provider.registerClient({ appType: 'service' });
    const result = await runCli(['token', 'client-credentials', '--issuer', provider.url, '--client-id', client.id, '--client-secret=wrong']);
    assert.equal(result.code, 2, `a refused grant exits with 2: ${result.stderr}`);
    assert.equal(result.json().error, 'invalid_client', 'a wrong client secret prints invalid_client');
  });

  test('an unreachable provider is a clear error', async () => {
    const result = await runCli(['token', 'client-credentials', '--issuer', 'http://127.0.0.1:9', '--client-id', 'x', '--client-secret=y']);
    assert.equal(result.code, 2, 'an unreachable provider exits with 2');
    assert.match(result.stderr, /cannot reach the provider/, `an unreachable provider is said to be unreachable: ${result.stderr}`);
  });

  test('code prints the authorize URL, receives the callback on loopback and exchanges the code with PKCE', async () => {
    const user = await provider.createUser('code_user');
    const { client } = await provider.registerClient({ appType: 'native', redirectUris: ['http://127.0.0.1/callback'] });
    const child = spawn(process.execPath, [...grantryCommand, 'token', 'code', '--issuer', provider.url, '--client-id', client.id, '--timeout', '60'], {
      env: { ...process.env, GRANTRY_SECRET: testSecret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const authorizeUrl = await new Promise<string>((resolve) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        const match = /(http\S+\/oauth2\/authorize\S+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    const browser = new TestBrowser(provider.url);
    await signIn(provider, browser, user);
    const consent = await browser.get(authorizeUrl);
    assert.equal(consent.status, 200, 'the consent page is shown for the authorize URL the command printed');
    const params = Object.fromEntries(new URL(authorizeUrl).searchParams);
    const allowed = await browser.post('/oauth2/authorize', consentDecision(consent.text, 'allow'));
    const callback = await fetch(allowed.location!);
    assert.equal(callback.status, 200, 'the command\'s loopback callback answers 200');

    assert.equal(await exited, 0, stderr);
    const token = JSON.parse(stdout);
    assert.equal(token.uid, user.id, 'the code exchange prints the uid of the user');
    assert.ok(token.access_token, 'the code exchange prints an access token');
  });

  test('without --issuer, the configured issuer is used (a configuration file), not localhost:3000', async () => {
    const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
    const dir = mkdtempSync(join(tmpdir(), 'grantry-token-'));
    writeFileSync(join(dir, 'grantry.config.json'), JSON.stringify({ issuer: provider.url }));
    const result = await runCli(['token', 'client-credentials', '--client-id', client.id, `--client-secret=${clientSecret!}`], { cwd: dir, env: { GRANTRY_ISSUER: '' } });
    assert.equal(result.code, 0, `the provider named in grantry.config.json answers: ${result.stderr}`);
    assert.equal(result.json().token_type, 'Bearer', 'with a token');
    assert.deepEqual(readdirSync(dir), ['grantry.config.json'], 'and no secret file is made by a command that needs none');
  });

  test('code says which callback URL the app needs, and a callback URL the app lacks fails at once', async () => {
    const { client } = await provider.registerClient({ appType: 'web', redirectUris: ['https://app.example/callback'] });
    const started = Date.now();
    const result = await runCli(['token', 'code', '--issuer', provider.url, '--client-id', client.id]);
    assert.equal(result.code, 2, `exit code 2: ${result.stderr}`);
    assert.match(result.stderr, /The app must have the callback URL http:\/\/127\.0\.0\.1:\d+\/callback registered/, `the callback URL is said first: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`the app ${client.id} does not have the callback URL http://127\\.0\\.0\\.1:\\d+/callback\\. Register it, e\\.g\\. grantry client update ${client.id} --add-redirect-uri`), result.stderr);
    assert.doesNotMatch(result.stderr, /Open this URL/, 'no URL to open is printed');
    assert.ok(Date.now() - started < 60_000, `it does not wait for a browser (took ${Date.now() - started} ms)`);
    const unknown = await runCli(['token', 'code', '--issuer', provider.url, '--client-id', 'no-such-app']);
    assert.match(unknown.stderr, /no app has the client_id no-such-app/, `an unknown client_id is said at once: ${unknown.stderr}`);
  });
});

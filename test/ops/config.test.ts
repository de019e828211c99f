import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { startProvider } from '../helpers/provider.ts';
import { postgresKind, sqliteKind } from '../helpers/stores.ts';
import { basicAuth, postForm } from '../provider/token-fixtures.ts';

/** A working directory of its own with a grantry.json holding `settings`. */
function withFile(settings: unknown): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'grantry-config-'));
  const file = join(dir, 'grantry.json');
  writeFileSync(file, typeof settings === 'string' ? settings : JSON.stringify(settings));
  return { dir, file };
}

describe('grantry config', () => {
  test('prints the effective configuration: defaults, then the file, then GRANTRY_* variables, then flags; secrets masked', async () => {
    const { dir, file } = withFile({ lifetimes: { accessToken: 600, session: 7200 }, audit: { retentionDays: 30 }, trustProxy: '10.0.0.0/8', scopes: { 'notes:read': 'Read your notes' } });
    const result = await runCli(['config', '--config', file, '--port', '4100'], {
      cwd: dir,
      env: {
        GRANTRY_LIFETIMES__ACCESS_TOKEN: '900',
        GRANTRY_METRICS_TOKEN: 'metrics-token-0123456789',
        GRANTRY_DATABASE_URL: 'postgres://grantry:hunter2@db.internal:5432/grantry',
        GRANTRY_HOUSEKEEPING__INTERVAL_SECONDS: '0',
        GRANTRY_ALLOW_SIGNUP: 'false',
        GRANTRY_PORT: '4000',
      },
    });
    assert.equal(result.code, 0, result.stderr);
    const config = result.json();
    assert.equal(config.secret, '***', 'the secret is masked');
    assert.equal(config.secretSource, 'environment', 'the secret is said to come from the environment');
    assert.equal(config.metricsToken, '***', 'the metrics token is masked');
    assert.equal(config.databaseUrl, 'postgres://grantry:***@db.internal:5432/grantry', 'the database password is masked in the database URL');
    assert.ok(!result.stdout.includes('hunter2') && !result.stdout.includes('metrics-token-0123456789') && !result.stdout.includes('test-secret'), 'no secret appears in the printed configuration');
    assert.equal(config.port, 4100, 'a flag wins over the environment');
    assert.deepEqual(config.lifetimes.accessToken, 900, 'the environment wins over the file');
    assert.equal(config.lifetimes.session, 7200, 'the file fills what the environment leaves');
    assert.equal(config.lifetimes.refreshTokenIdle, 14 * 24 * 3600, 'defaults fill the rest of a group');
    assert.equal(config.audit.retentionDays, 30, 'the file sets audit.retentionDays');
    assert.equal(config.audit.batchSize, 200, 'the default fills audit.batchSize');
    assert.equal(config.housekeeping.intervalSeconds, 0, 'the environment sets housekeeping.intervalSeconds');
    assert.equal(config.allowSignup, false, 'the environment sets allowSignup');
    assert.equal(config.trustProxy, '10.0.0.0/8', 'the file sets trustProxy');
    assert.equal(config.scopes['notes:read'], 'Read your notes', 'the file adds the notes:read scope');
    assert.equal(config.scopes.profile, 'See your user id, username, display name and the profile details on record', 'the default profile scope stays beside the file\'s scopes');
  });

  const refusals: [string, unknown, Record<string, string>, RegExp][] = [
    ['an unknown key, with the likely one', { lifetimes: { accesToken: 60 } }, {}, /: "lifetimes\.accesToken" is not a setting \(did you mean "lifetimes\.accessToken"\?\)$/m],
    ['an unknown top-level key', { colour: 'blue' }, {}, /: "colour" is not a setting$/m],
    ['a value of the wrong type', { port: '80' }, {}, /: "port" must be a number, 0 or more, not "80"$/m],
    ['a negative number', { audit: { retentionDays: -1 } }, {}, /: "audit\.retentionDays" must be a number, 0 or more, not -1$/m],
    ['a group that is not an object', { login: 5 }, {}, /: "login" must be an object, not 5$/m],
    ['scopes that are not strings', { scopes: { 'a:b': 1 } }, {}, /: "scopes" must be an object of names to descriptions \(strings\)/],
    ['a file that is not an object', '[1, 2]', {}, /grantry\.json must hold one JSON object of settings$/m],
    ['a short metrics token', {}, { GRANTRY_METRICS_TOKEN: 'short' }, /^grantry config: metricsToken must be at least 16 printable characters without spaces$/m],
    ['a bad trustProxy list', { trustProxy: 'proxy.example' }, {}, /^grantry config: trustProxy must be true, false or a comma-separated list of addresses or CIDR ranges, not "proxy\.example"$/m],
    ['an unknown log level', { logLevel: 'loud' }, {}, /^grantry config: logLevel must be one of silent, fatal, error, warn, info, debug, not "loud"$/m],
    ['a zero batch size', { housekeeping: { batchSize: 0 } }, {}, /^grantry config: housekeeping\.batchSize must be a whole number, 1 or more, not 0$/m],
    ['a variable that is not a number', {}, { GRANTRY_AUDIT__RETENTION_DAYS: 'ninety' }, /^grantry config: GRANTRY_AUDIT__RETENTION_DAYS must be a number, not "ninety"$/m],
    ['a variable that is not a boolean', {}, { GRANTRY_ALLOW_SIGNUP: 'yes' }, /^grantry config: GRANTRY_ALLOW_SIGNUP must be true or false, not "yes"$/m],
    ['a scopes variable that is not JSON', {}, { GRANTRY_SCOPES: 'notes:read' }, /^grantry config: GRANTRY_SCOPES must be a JSON object, not "notes:read"$/m],
    ['a secret in the file', { secret: 'x'.repeat(40) }, {}, /keep the secret out of .*grantry\.json: set GRANTRY_SECRET instead$/m],
  ];
  for (const [what, settings, env, message] of refusals) {
    test(`refuses ${what}, naming it (exit 2)`, async () => {
      const { dir, file } = withFile(settings);
      const result = await runCli(['config', '--config', file], { cwd: dir, env });
      assert.equal(result.code, 2, result.stdout);
      assert.match(result.stderr, message, `grantry config names ${what} on stderr: ${result.stderr}`);
      assert.equal(result.stdout, '', 'a refused configuration prints nothing on stdout');
    });
  }

  test('grantry start refuses a bad setting before it starts anything, with the same message', async () => {
    const { dir, file } = withFile({ lifetimes: { accesToken: 60 } });
    const result = await runCli(['start', '--config', file, '--database-url', `sqlite:${join(dir, 'g.sqlite')}`], { cwd: dir });
    assert.equal(result.code, 2, `grantry start exits 2 on a bad setting: ${result.stderr}`);
    assert.match(result.stderr, /^grantry start: .*grantry\.json: "lifetimes\.accesToken" is not a setting \(did you mean "lifetimes\.accessToken"\?\)$/m, `grantry start names the bad setting as grantry config does: ${result.stderr}`);
  });
});

describe('trustProxy', () => {
  const tokenFrom = async (trustProxy: boolean | string | undefined) => {
    const provider = await startProvider(sqliteKind, trustProxy === undefined ? {} : { trustProxy });
    try {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, { ...basicAuth(client.id, clientSecret!), 'x-forwarded-for': '203.0.113.50' });
      assert.equal(reply.status, 200, `the service gets a token: ${JSON.stringify(reply.body)}`);
      await provider.ctx.audit.flush();
      return (await provider.store.audit.list({ clientId: client.id, limit: 1 }))[0]!.ip;
    } finally {
      await provider.close();
    }
  };

  test('off by default: X-Forwarded-For is ignored, the peer address counts', async () => {
    assert.equal(await tokenFrom(undefined), '127.0.0.1', 'by default the audit records the peer address, not X-Forwarded-For');
  });

  test('when the proxy is trusted, the forwarded client address counts', async () => {
    assert.equal(await tokenFrom('127.0.0.1'), '203.0.113.50', 'a trusted proxy address lets the forwarded client address count');
    assert.equal(await tokenFrom(true), '203.0.113.50', 'trustProxy true lets the forwarded client address count');
  });

  test('a proxy not in the list is not believed', async () => {
    assert.equal(await tokenFrom('10.0.0.0/8'), '127.0.0.1', 'a proxy not in the trustProxy list is not believed');
  });
});

describe('databasePoolSize', () => {
  test('caps the PostgreSQL connections of a process: with 1, a query waits for a transaction in progress', async () => {
    // The helper hands its options to openStore, poolSize included.
    const opened = await postgresKind.open({ poolSize: 1 } as Parameters<typeof postgresKind.open>[0]);
    try {
      const order: string[] = [];
      let outside!: Promise<unknown>;
      await opened.store.transaction(async (inside) => {
        await inside.users.findById('nobody');
        outside = opened.store.readiness().then(() => order.push('outside'));
        await new Promise((resolve) => setTimeout(resolve, 200));
        order.push('transaction');
      });
      await outside;
      assert.deepEqual(order, ['transaction', 'outside'], 'with a pool of 1, the query outside waits for the transaction in progress');
    } finally {
      await opened.dispose();
    }
  });

  test('comes from GRANTRY_DATABASE_POOL_SIZE and must be 1 or more', async () => {
    const { dir } = withFile({});
    const shown = await runCli(['config'], { cwd: dir, env: { GRANTRY_DATABASE_POOL_SIZE: '25' } });
    assert.equal(shown.json().databasePoolSize, 25, 'GRANTRY_DATABASE_POOL_SIZE sets databasePoolSize');
    const refused = await runCli(['config'], { cwd: dir, env: { GRANTRY_DATABASE_POOL_SIZE: '0' } });
    assert.equal(refused.code, 2, `a databasePoolSize of 0 is refused (exit 2): ${refused.stderr}`);
    assert.match(refused.stderr, /^grantry config: databasePoolSize must be a whole number, 1 or more, not 0$/m, `the refusal names databasePoolSize: ${refused.stderr}`);
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli, startUntilListening, type CliResult } from '../helpers/cli.ts';
import { testSecret } from '../helpers/provider.ts';

// What goes wrong around a command — a port taken, a database out of reach, a secret that does not
// open the keys — is said in one line naming the setting to change, never as a stack trace; and no
// command but `start` makes a database, a directory or a secret where it was pointed by mistake.

const otherSecret = 'another-secret-0123456789abcdef0123456789abcdef';

/** One line on stderr, naming the command, with no stack frame in it. */
function assertOneLine(result: CliResult, command: string, pattern: RegExp, what: string): void {
  assert.equal(result.code, 1, `${what}: exit code 1 (stderr: ${result.stderr})`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, not a stack trace: ${result.stderr}`);
  assert.match(lines[0]!, new RegExp(`^grantry ${command}: `), `${what}: the line names the command`);
  assert.match(lines[0]!, pattern, `${what}: ${lines[0]}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, `${what}: no stack frame`);
}

/** A port that nothing listens on: one the system gave, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const freshDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe('grantry, when a command is unknown', () => {
  test('says which command is unknown, with exit code 2', async () => {
    const unknown = await runCli(['foo']);
    assert.equal(unknown.code, 2, `an unknown command exits with 2: ${unknown.stderr}`);
    assert.match(unknown.stderr, /^grantry: unknown command: foo\n/, 'the first line names the unknown command');
    assert.match(unknown.stderr, /grantry start \[--port 3000\]/, 'the usage follows');
    assert.equal(unknown.stdout, '', 'stdout stays empty');
    const sub = await runCli(['client', 'frobnicate', '--json']);
    assert.match(sub.stderr, /^grantry: unknown command: client frobnicate\n/, 'an unknown subcommand is named with its command');
    const help = await runCli(['--help']);
    assert.equal(help.code, 0, '--help exits with 0');
    assert.match(help.stdout, /--demo-port 4000/, '--help names --demo-port');
    assert.match(help.stdout, /GRANTRY_DEMO_PORT/, '--help names GRANTRY_DEMO_PORT');
    assert.match(help.stdout, /--timeout SECONDS/, '--help documents token code --timeout');
    assert.match(help.stdout, /npm start -- --port 3100/, '--help says how to pass flags through npm start');
  });
});

describe('grantry, when the database is out of reach', () => {
  test('a command other than start on a SQLite file that does not exist says so, and makes nothing', async () => {
    const cwd = freshDir('grantry-missing-');
    for (const args of [['client', 'list'], ['client', 'list', '--database-url', 'sqlite:./nope/site.sqlite'], ['user', 'create', '--username', 'someone', '--password', 'long enough']]) {
      const result = await runCli(args, { cwd, env: { GRANTRY_SECRET: '' } });
      assertOneLine(result, args.slice(0, 2).join(' '), /there is no database at .*: check --database-url \(or GRANTRY_DATABASE_URL\), or run grantry start once to make it/, args.join(' '));
    }
    assert.deepEqual(readdirSync(cwd), [], 'no directory, no database and no secret were made');
  });

  test('PostgreSQL unreachable, an unknown role, an unknown database: one line each, naming --database-url', async () => {
    const port = await closedPort();
    const cases: [string, RegExp][] = [
      [`postgres://postgres@127.0.0.1:${port}/test`, new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/test \\(ECONNREFUSED\\)`)],
      ['postgres://grantry_no_such_role@127.0.0.1:5432/test', /PostgreSQL at 127\.0\.0\.1:5432\/test refused: role "grantry_no_such_role" does not exist/],
      ['postgres://postgres@127.0.0.1:5432/grantry_no_such_database', /refused: database "grantry_no_such_database" does not exist/],
      ['postgres://postgres@grantry-no-such-host.invalid:5432/test', /the database host of grantry-no-such-host\.invalid:5432\/test is not known/],
    ];
    for (const [url, pattern] of cases) {
      for (const command of [['client', 'list'], ['start', '--port', '0']]) {
        const result = await runCli([...command, '--database-url', url], { cwd: freshDir('grantry-pg-') });
        assertOneLine(result, command[0] === 'start' ? 'start' : 'client list', pattern, `${command[0]} on ${url}`);
        assert.match(result.stderr, /--database-url \(or GRANTRY_DATABASE_URL\)/, `${command[0]} on ${url}: the setting is named`);
      }
    }
  });

  test('start in a SQLite directory that does not exist says so and makes no directory; the default ./data is made', async () => {
    const cwd = freshDir('grantry-dir-');
    const result = await runCli(['start', '--port', '0', '--database-url', 'sqlite:./not/there/grantry.sqlite'], { cwd });
    assertOneLine(result, 'start', /the directory for \.\/not\/there\/grantry\.sqlite does not exist: create it, or point --database-url/, 'a missing directory');
    assert.deepEqual(readdirSync(cwd), [], 'no directory was made');
  });
});

describe('grantry start, when its port is taken', () => {
  test('says which address is in use and names --port; for the demo, --demo-port', async () => {
    // On every address (IPv4 and IPv6): the demo site listens on localhost, whichever address that is.
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const { port } = taken.address() as { port: number };
    try {
      const cwd = freshDir('grantry-port-');
      const result = await runCli(['start', '--port', String(port), '--database-url', `sqlite:${join(cwd, 'g.sqlite')}`], { cwd });
      assertOneLine(result, 'start', new RegExp(`127\\.0\\.0\\.1:${port} is already in use by another program: choose another port with --port \\(or GRANTRY_PORT\\)`), 'the provider port');
      const demo = await runCli(['start', '--port', '0', '--demo', '--demo-port', String(port), '--database-url', `sqlite:${join(cwd, 'g.sqlite')}`], { cwd });
      assert.equal(demo.code, 1, `a taken demo port exits with 1: ${demo.stderr}`);
      assert.match(demo.stderr, /already in use by another program: choose another port with --demo-port \(or GRANTRY_DEMO_PORT\)/, `the demo port is named: ${demo.stderr}`);
      assert.doesNotMatch(demo.stderr, /\n\s+at /, 'no stack frame');
    } finally {
      taken.close();
    }
  });

  test('flags that npm kept for itself (npm start --port 3100) are refused with the way to pass them', async () => {
    const cwd = freshDir('grantry-npm-');
    const result = await runCli(['start', '--demo', '3100'], { cwd, env: { npm_lifecycle_event: 'start', npm_config_port: 'true' } });
    assert.equal(result.code, 2, `exit code 2: ${result.stderr}`);
    assert.match(result.stderr, /npm kept --port for itself: pass flags to Grantry after a double dash, npm start -- --port 3100/, result.stderr);
    const bare = await runCli(['start', '3100'], { cwd });
    assert.match(bare.stderr, /start takes flags only, not "3100"/, `a bare word is refused outside npm too: ${bare.stderr}`);
    assert.deepEqual(readdirSync(cwd), [], 'nothing was started or made');
  });
});

describe('grantry start and the secret', () => {
  test('a changed or lost secret is said, never replaced; keys reseal moves the keys to the new secret', async () => {
    const cwd = freshDir('grantry-secret-');
    const database = ['--database-url', 'sqlite:./data/grantry.sqlite'];
    const noSecret = { GRANTRY_SECRET: '' };
    // A first start makes ./data/secret (and the first signing key sealed under it), then stops.
    const first = await runCli(['keys', 'list', ...database], { cwd, env: noSecret });
    assert.match(first.stderr, /there is no database/, 'before any start there is nothing to list');
    const started = await startUntilListening(cwd, noSecret);
    assert.match(started, /A new GRANTRY_SECRET was generated into \.\/data\/secret/, `the first start says it made a secret: ${started}`);
    const secret = readFileSync(join(cwd, 'data/secret'), 'utf8').trim();

    // GRANTRY_SECRET set afterwards, to another value: refused, pointing at ./data/secret and keys reseal.
    const changed = await runCli(['start', '--port', '0', ...database], { cwd, env: { GRANTRY_SECRET: otherSecret } });
    assertOneLine(changed, 'start', /sealed under another secret than GRANTRY_SECRET \(\.\/data\/secret holds another secret: perhaps theirs\).*grantry keys reseal --old-secret-file FILE/, 'a changed secret');
    assert.doesNotMatch(changed.stderr, /Decipheriv|unable to authenticate/, 'not the cipher\'s own words');

    // ./data/secret deleted: refused, and not made again over the keys it sealed.
    writeFileSync(join(cwd, 'secret.backup'), `${secret}\n`);
    await import('node:fs/promises').then((fs) => fs.rm(join(cwd, 'data/secret')));
    const lost = await runCli(['start', '--port', '0', ...database], { cwd, env: noSecret });
    assertOneLine(lost, 'start', /\.\/data\/secret is missing and GRANTRY_SECRET is not set, but the database holds signing keys.*grantry keys reset --yes/, 'a lost secret');
    assert.equal(existsSync(join(cwd, 'data/secret')), false, 'no new secret was made over the keys');
    const rotate = await runCli(['keys', 'rotate', ...database], { cwd, env: noSecret });
    assert.equal(rotate.code, 2, `keys rotate without a secret is refused: ${rotate.stderr}`);
    assert.match(rotate.stderr, /there is no secret: set GRANTRY_SECRET/, 'and says why');

    // The keys re-sealed under the new secret: starts again, with the same keys.
    const keysBefore = (await runCli(['keys', 'list', '--json', ...database], { cwd, env: noSecret })).json().keys.map((key: { kid: string }) => key.kid);
    const wrongOld = await runCli(['keys', 'reseal', '--old-secret-file', join(cwd, 'secret.backup'), ...database], { cwd, env: { GRANTRY_SECRET: otherSecret, GRANTRY_OLD_SECRET: testSecret } });
    assertOneLine(wrongOld, 'keys reseal', /the old secret does not open the signing keys .*: nothing was changed/, 'a wrong old secret');
    const resealed = await runCli(['keys', 'reseal', '--old-secret-file', join(cwd, 'secret.backup'), '--json', ...database], { cwd, env: { GRANTRY_SECRET: otherSecret } });
    assert.equal(resealed.code, 0, resealed.stderr);
    assert.deepEqual(resealed.json().resealed, keysBefore, 'every key was re-sealed');
    const restarted = await startUntilListening(cwd, { GRANTRY_SECRET: otherSecret });
    assert.match(restarted, /listening on/, `the provider starts under the new secret: ${restarted}`);
    const keysAfter = (await runCli(['keys', 'list', '--json', ...database], { cwd, env: noSecret })).json().keys.map((key: { kid: string }) => key.kid);
    assert.deepEqual(keysAfter, keysBefore, 'with the same keys');

    // A secret lost for good: keys reset replaces what cannot be opened.
    const refusedReset = await runCli(['keys', 'reset', ...database], { cwd, env: { GRANTRY_SECRET: testSecret } });
    assert.equal(refusedReset.code, 2, `keys reset without --yes is refused: ${refusedReset.stderr}`);
    const reset = await runCli(['keys', 'reset', '--yes', '--json', ...database], { cwd, env: { GRANTRY_SECRET: testSecret } });
    assert.equal(reset.code, 0, reset.stderr);
    assert.deepEqual(reset.json().deleted, keysBefore, 'the keys the secret could not open are deleted');
    assert.match(await startUntilListening(cwd, { GRANTRY_SECRET: testSecret }), /listening on/, 'and the provider starts under that secret');
    const nothingToReset = await runCli(['keys', 'reset', '--yes', ...database], { cwd, env: { GRANTRY_SECRET: testSecret } });
    assert.match(nothingToReset.stderr, /this secret opens every signing key: there is nothing to reset/, 'a reset with nothing to replace is refused');
  });
});

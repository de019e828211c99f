import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { testSecret } from '../helpers/provider.ts';

// The package as a user gets it: `npm pack` (which builds dist/ through the prepare script), the
// tarball installed into a fresh project with its own node_modules, and then each promise of the
// package kept there — plain `node` imports every entry point, `tsc` sees their types, the
// `grantry` command answers and starts, and the Connect examples of the README and docs/connect.md
// run as they are written (the "Log in with Grantry" ones through a whole login in Chromium).
// The current LTS lines of Node.js (22 and 24), which the registry ships as packages, run the
// imports and the command as well.

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const postgresUrl = process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** npm as a user runs it: none of the settings that `npm test` passes to its children. */
function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^npm_/i.test(name)) env[name] = value;
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = npmEnv()): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} (in ${cwd}) failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

// Read from the package's folder: a package whose exports map `./*` into dist (the MCP SDK) answers
// `require('…/package.json')` with dist/cjs/package.json, which has no version.
const versionOf = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The files whose code blocks marked `<!-- example: NAME … -->` this test runs as a reader would copy them. */
const documented = ['README.md', 'docs/connect.md'];

/** Every marked example of the README and docs/connect.md, by name. */
function documentedExamples(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of documented) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const [, name, code] of text.matchAll(/<!-- example: ([\w-]+)\b[^>]*-->\s*```js\n([\s\S]*?)\n```/g)) {
      assert.ok(!found.has(name!), `the example "${name}" is marked once in ${documented.join(' and ')}`);
      found.set(name!, code!);
    }
  }
  return found;
}

function example(name: string): string {
  const code = documentedExamples().get(name);
  assert.ok(code, `a js block is marked "<!-- example: ${name} -->" in ${documented.join(' or ')}`);
  return code!;
}

/**
 * Runs a documented example, unchanged, in its own directory of the fresh project. The listen probe
 * reports the port it listens on; `keepPort` keeps the example's own (the one its siteUrl names).
 */
async function runExample(name: string, dir: string, env: NodeJS.ProcessEnv, keepPort = false) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.mjs`), example(name));
  const probeEnv = keepPort ? { ...env, GRANTRY_PROBE_KEEP_PORT: '1' } : env;
  const child = spawn(process.execPath, ['--import', join(root, 'test/package/listen-probe.mjs'), `${name}.mjs`], { cwd: dir, env: probeEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const found = /grantry-probe-port=(\d+)/.exec(output)?.[1];
        if (found) resolve(found);
      });
      void exited.then(() => reject(new Error(`the ${name} example exited:\n${output}`)));
    });
    return { port, stop, output: () => output };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A port the system says is free now, for an example whose URL must be known before it starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const importCheck = `
import * as provider from 'grantry';
import * as connect from 'grantry/connect';
import * as browser from 'grantry/connect/browser';
import * as resource from 'grantry/resource';
const expected = {
  grantry: [provider, ['createProvider', 'openStore', 'makeConfig', 'registerClient']],
  'grantry/connect': [connect, ['createConnect', 'connectExpress', 'connectFastify', 'openStore', 'weibo', 'grantry', 'oidc']],
  'grantry/connect/browser': [browser, ['startImplicitLogin', 'readImplicitResponse', 'startLogin', 'completeLogin']],
  'grantry/resource': [resource, ['protectedResource', 'metadataUrlOf', 'ResourceError']],
};
const missing = Object.entries(expected).flatMap(([entry, [module, names]]) => names.filter((name) => typeof module[name] !== 'function').map((name) => entry + ' ' + name));
if (missing.length > 0) throw new Error('not exported as functions: ' + missing.join(', '));
console.log('imports ok on ' + process.version);
`;

const typeCheck = `
import { createProvider, openStore, type GrantryServer, type GrantryConfig, type Store } from 'grantry';
import { createConnect, openStore as openSiteStore, weibo, type Connect, type ConnectStore, type ConnectUser } from 'grantry/connect';
import { readImplicitResponse, type ImplicitResponse } from 'grantry/connect/browser';

export async function use(): Promise<void> {
  const app: GrantryServer = await createProvider({ issuer: 'https://id.example.com', secret: 'x'.repeat(32) });
  const config: GrantryConfig = app.grantry.config;
  const lifetime: number = config.lifetimes.accessToken;
  const store: Store = await openStore('sqlite::memory:');
  const siteStore: ConnectStore = await openSiteStore('sqlite::memory:');
  const site: Connect = createConnect({ store: siteStore, secret: 'x'.repeat(32), siteUrl: 'https://www.example.com', providers: [weibo({ clientId: 'key', clientSecret: 'secret' })] });
  const user: ConnectUser | undefined = await site.userFromCookies(undefined);
  const response: ImplicitResponse | null = readImplicitResponse();
  // The declarations are real types, not any: each of these is refused.
  // @ts-expect-error the issuer is a string
  await createProvider({ issuer: 1, secret: 'x'.repeat(32) });
  // @ts-expect-error Connect keeps its own tables: the provider's store is not one
  createConnect({ store, secret: 'x'.repeat(32), siteUrl: 'https://www.example.com', providers: [] });
  // @ts-expect-error a ConnectUser has no such field
  void user?.notAField;
  // @ts-expect-error an ImplicitResponse's token is a string
  const wrong: number = response!.accessToken;
  void [lifetime, wrong];
}
`;

function tsconfig(resolution: 'node16' | 'bundler') {
  return {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: resolution === 'node16' ? 'node16' : 'esnext',
      moduleResolution: resolution,
      skipLibCheck: false,
      types: ['node'],
    },
    files: ['use.ts'],
  };
}

/** Starts `grantry start --port 0` and resolves with the URL it prints once it listens. */
function startGrantry(command: string[], cwd: string, env: NodeJS.ProcessEnv) {
  // In a process group of its own: npx runs the command as a child, and the signal must reach it.
  const child = spawn(command[0]!, [...command.slice(1), 'start', '--port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const url = /Grantry provider listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    void exited.then((code) => reject(new Error(`grantry start exited (${code}) before listening:\n${stdout}\n${stderr}`)));
  });
  return { child, listening, exited, output: () => `${stdout}\n${stderr}` };
}

async function provesStart(command: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const started = startGrantry(command, cwd, env);
  let url = '';
  try {
    url = await started.listening;
    const metadata = await fetch(`${url}/.well-known/oauth-authorization-server`);
    assert.equal(metadata.status, 200, `the installed provider serves its metadata: ${started.output()}`);
    assert.equal(((await metadata.json()) as { issuer: string }).issuer, url, 'the metadata names the issuer that start printed');
  } finally {
    process.kill(-started.child.pid!, 'SIGTERM');
  }
  // `close` comes once every process holding the output has ended. Run directly, the code is
  // grantry's own; npx, signalled with it, may end by the signal instead (null).
  const code = await started.exited;
  if (command[0] === 'npx') assert.ok(code === 0 || code === null, `npx grantry start ends on SIGTERM (code ${code}): ${started.output()}`);
  else assert.equal(code, 0, `grantry start ends cleanly on SIGTERM: ${started.output()}`);
  assert.match(started.output(), /finishing requests in flight/, 'grantry itself saw the signal and drained');
  await assert.rejects(fetch(`${url}/healthz`), TypeError, 'nothing answers once grantry start has ended');
}

/** A Node.js binary of another release line, from the npm registry's node-<platform>-<arch> package, kept between runs. */
function nodeBinary(major: number): string {
  const dir = join(tmpdir(), `grantry-node${major}`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const binary = join(dir, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `${pkg}@${major}`], dir);
  }
  return binary;
}

describe('the package, packed and installed into a fresh project', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let files: { path: string }[];
  let packedAt: number;
  let sizes: { size: number; unpackedSize: number };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'grantry-package-'));
    packedAt = Date.now();
    // npm pack runs the prepare script, which builds dist/.
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root).stdout) as {
      filename: string; files: { path: string }[]; size: number; unpackedSize: number;
    }[];
    tarball = join(work, packed[0]!.filename);
    files = packed[0]!.files;
    sizes = packed[0]!;
    project = join(work, 'site');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'fresh-site', private: true, type: 'module' }, null, 2));
    // What a site's developer would add beside grantry; the versions this checkout uses, so that
    // npm's cache serves them. better-sqlite3 is built from source here, once per run.
    // …and what examples/mcp-server adds: the MCP SDK (and Express's types, for its tsc).
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `express@${versionOf('express')}`, `fastify@${versionOf('fastify')}`, `@types/node@${versionOf('@types/node')}`,
      `@modelcontextprotocol/sdk@${versionOf('@modelcontextprotocol/sdk')}`, `@types/express@${versionOf('@types/express')}`], project);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds the build, the bin, the README and the licence, and no tests, bench or CI files', (t) => {
    const paths = files.map((file) => file.path);
    t.diagnostic(`tarball: ${paths.length} files, ${(sizes.size / 1024).toFixed(0)} KiB packed, ${(sizes.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
    const stray = paths.filter((path) => /^(test|bench|scripts|docs|src|\.ci|data|test-artifacts)\//.test(path) || path.endsWith('.tsbuildinfo'));
    assert.deepEqual(stray, [], 'nothing but the build, the bin and the package files is published');
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'bin/grantry.js', 'dist/index.js', 'dist/index.d.ts', 'dist/connect/index.js', 'dist/connect/adapters/browser.js', 'dist/connect/adapters/browser.d.ts', 'dist/cli/main.js']) {
      assert.ok(paths.includes(needed), `the tarball holds ${needed}`);
    }
  });

  test('plain node imports grantry, grantry/connect and grantry/connect/browser', (t) => {
    writeFileSync(join(project, 'imports.mjs'), importCheck);
    const result = run(process.execPath, ['imports.mjs'], project);
    assert.match(result.stdout, /imports ok/, 'every entry point exports its functions');
    t.diagnostic(`from npm pack to a working import in a fresh project: ${((Date.now() - packedAt) / 1000).toFixed(1)} s`);
  });

  for (const resolution of ['node16', 'bundler'] as const) {
    test(`tsc (strict, moduleResolution ${resolution}) sees the types of every entry point`, () => {
      const dir = join(project, `types-${resolution}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'use.ts'), typeCheck);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig(resolution), null, 2));
      if (resolution === 'node16') writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], project);
    });
  }

  test('examples/mcp-server compiles against the installed grantry/resource and answers as a protected MCP server', async () => {
    const dir = join(project, 'mcp-server');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'server.ts'), readFileSync(join(root, 'examples/mcp-server/server.ts'), 'utf8'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    // The example as a user copies it: strict, node16 resolution, grantry/resource from node_modules.
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...tsconfig('node16').compilerOptions, noEmit: false, outDir: 'out', skipLibCheck: true }, files: ['server.ts'] }, null, 2));
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], project);
    // An issuer that is never asked: a request without a token is refused before any key is needed.
    const child = spawn(process.execPath, ['out/server.js'], { cwd: dir, env: { ...npmEnv({}), MCP_PORT: '0', GRANTRY_ISSUER: 'http://127.0.0.1:9' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          const found = /listening on (\S+)/.exec(output)?.[1];
          if (found) resolve(found);
        });
        void exited.then(() => reject(new Error(`the example exited:\n${output}`)));
      });
      const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}' });
      assert.equal(refused.status, 401, `no token, no MCP: ${output}`);
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(refused.headers.get('www-authenticate') ?? '')?.[1];
      assert.ok(metadataUrl, `the challenge names the metadata (RFC 9728 §5.1): ${refused.headers.get('www-authenticate')}`);
      const metadata = (await (await fetch(metadataUrl)).json()) as { resource: string; authorization_servers: string[] };
      assert.deepEqual([metadata.resource, metadata.authorization_servers], [url, ['http://127.0.0.1:9']], 'the metadata names the server and its issuer');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('npx grantry --help and npx grantry start answer from the installed package', async () => {
    const help = run('npx', ['--no-install', 'grantry', '--help'], project);
    assert.match(help.stdout, /grantry start/, 'the help lists the start command');
    await provesStart(['npx', '--no-install', 'grantry'], project, npmEnv({ GRANTRY_SECRET: testSecret }));
  });

  test('every example marked in the README and docs/connect.md is one this file runs', () => {
    assert.deepEqual(
      [...documentedExamples().keys()].sort(),
      ['express', 'fastify', 'grantry-client-credentials', 'grantry-express', 'grantry-fastify'],
      'a newly marked example needs a test here, and a test here needs its example',
    );
  });

  for (const name of ['express', 'fastify']) {
    test(`the README's ${name} example runs unchanged against the installed package`, async () => {
      const env = npmEnv({ SITE_SECRET: testSecret, WEIBO_APP_KEY: 'weibo-app-key', WEIBO_APP_SECRET: 'weibo-app-secret' });
      const site = await runExample(name, join(project, `example-${name}`), env);
      try {
        const home = await fetch(`http://127.0.0.1:${site.port}/`);
        assert.match(await home.text(), /Log in with Weibo/, `the ${name} example's home page offers the login: ${site.output()}`);
        const login = await fetch(`http://127.0.0.1:${site.port}/auth/weibo/login`, { method: 'POST', redirect: 'manual', headers: { origin: 'https://www.example.com' } });
        const location = new URL(login.headers.get('location') ?? 'about:blank');
        assert.equal(`${location.origin}${location.pathname}`, 'https://api.weibo.com/oauth2/authorize', `the login goes to Weibo (status ${login.status}): ${site.output()}`);
        assert.equal(location.searchParams.get('client_id'), 'weibo-app-key', 'with the App Key');
        assert.equal(location.searchParams.get('redirect_uri'), 'https://www.example.com/auth/weibo/callback', 'and the callback the README says to register');
        assert.ok(location.searchParams.get('state'), 'and a state');
      } finally {
        await site.stop();
      }
    });
  }

  describe('"Log in with Grantry" from docs/connect.md, against a provider started from the installed package', () => {
    // One provider (grantry start in the fresh project, its own SQLite database) and one Chromium for these tests.
    let platform: ReturnType<typeof startGrantry> | undefined;
    let issuer: string;
    let platformDir: string;
    let browser: Browser | undefined;
    const person = { username: 'ada', password: 'ada password 1', displayName: 'Ada Lovelace' };
    const grantry = (...args: string[]) => run(process.execPath, [join(project, 'node_modules/grantry/bin/grantry.js'), ...args], platformDir, npmEnv({ GRANTRY_SECRET: testSecret }));
    const register = (name: string, ...args: string[]) =>
      JSON.parse(grantry('client', 'create', '--name', name, '--type', 'web', ...args, '--json').stdout) as { client_id: string; client_secret: string };

    before(async () => {
      platformDir = join(project, 'platform');
      mkdirSync(platformDir, { recursive: true });
      platform = startGrantry([process.execPath, join(project, 'node_modules/grantry/bin/grantry.js')], platformDir, npmEnv({ GRANTRY_SECRET: testSecret }));
      issuer = await platform.listening;
      grantry('user', 'create', '--username', person.username, '--password', person.password, '--display-name', person.displayName);
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      if (platform) {
        process.kill(-platform.child.pid!, 'SIGTERM');
        await platform.exited;
      }
    });

    for (const name of ['grantry-express', 'grantry-fastify']) {
      test(`the ${name} example logs a new person in with Grantry in Chromium, keeps them signed in, and logs out`, async () => {
        // 127.0.0.1, not localhost like the provider: cookies are kept per host, whatever the port.
        const siteUrl = `http://127.0.0.1:${await freePort()}`;
        const app = register(`Docs ${name}`, '--redirect-uri', `${siteUrl}/auth/grantry/callback`);
        const site = await runExample(name, join(project, `example-${name}`), npmEnv({
          SITE_URL: siteUrl, SITE_SECRET: testSecret, GRANTRY_ISSUER: issuer, GRANTRY_CLIENT_ID: app.client_id, GRANTRY_CLIENT_SECRET: app.client_secret,
        }), true);
        const context = await browser!.newContext();
        try {
          const page = await context.newPage();
          await page.goto(siteUrl);
          await page.getByRole('button', { name: 'Log in with Grantry' }).click();
          // At the provider: its login page, then its consent page for the site's app.
          await page.getByLabel('Username').fill(person.username);
          await page.getByLabel('Password', { exact: true }).fill(person.password);
          await page.getByRole('button', { name: 'Log in' }).click();
          await page.getByRole('button', { name: 'Allow' }).click();
          // Back at the site: Connect's binding page for a person the site does not know yet.
          await page.getByRole('heading', { name: 'Finish logging in with Grantry' }).waitFor();
          assert.equal(new URL(page.url()).origin, siteUrl, `the provider sent the browser back to the site: ${page.url()}`);
          await page.getByRole('region', { name: 'Create a new account' }).getByLabel('Username').fill(`ada-${name}`);
          await page.getByRole('button', { name: 'Create account' }).click();
          await page.getByText(`Hello ${person.displayName}`).waitFor();
          assert.equal(new URL(page.url()).origin, siteUrl, 'the person ends on the site, signed in with the name the provider gave');
          const cookies = (await context.cookies(siteUrl)).map((cookie) => cookie.value).join(' ');
          assert.doesNotMatch(cookies, /\./, "no JWT (the provider's token) is in the site's cookies");
          await page.reload();
          await page.getByText(`Hello ${person.displayName}`).waitFor();
          await page.getByRole('button', { name: 'Log out' }).click();
          await page.getByRole('button', { name: 'Log in with Grantry' }).waitFor();
        } catch (error) {
          const shown = await context.pages()[0]?.evaluate(() => `${location.href}\n${document.body?.innerText ?? ''}`).catch(() => 'no page');
          throw new Error(`${(error as Error).message}\nthe browser shows: ${shown}\nthe site said:\n${site.output()}\nthe provider said:\n${platform!.output()}`);
        } finally {
          await context.close();
          await site.stop();
        }
      });
    }

    test('the client-credentials example gets the app\'s own token, which the provider says is active and the app\'s', async () => {
      const app = register('Docs server-to-server', '--grant', 'client_credentials');
      // The example's API: it records the bearer token and answers 204.
      const seen: string[] = [];
      const api = createServer((request, response) => {
        seen.push(request.headers.authorization ?? '');
        response.writeHead(204).end();
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      try {
        const env = npmEnv({ GRANTRY_ISSUER: issuer, GRANTRY_CLIENT_ID: app.client_id, GRANTRY_CLIENT_SECRET: app.client_secret, API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}/reports` });
        const dir = join(project, 'example-grantry-client-credentials');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'calls.mjs'), example('grantry-client-credentials'));
        // Not spawnSync: the API answering the example lives in this process's event loop.
        const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(process.execPath, ['calls.mjs'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
        });
        assert.equal(result.status, 0, `the example runs: ${result.stdout}\n${result.stderr}`);
        assert.match(result.stdout, /the API answered 204/, 'the example called the API');
        assert.equal(seen.length, 1, 'the API was called once');
        const token = /^Bearer (\S+)$/.exec(seen[0]!)?.[1];
        assert.ok(token, `the API got a bearer token: ${seen[0]}`);
        const introspection = await fetch(`${issuer}/oauth2/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
          body: new URLSearchParams({ token: token! }),
        });
        const answer = (await introspection.json()) as { active: boolean; client_id?: string; sub?: string };
        assert.equal(answer.active, true, `the provider says the token is active: ${JSON.stringify(answer)}`);
        assert.equal(answer.client_id, app.client_id, "the token is the app's own");
      } finally {
        await new Promise<void>((resolve) => api.close(() => resolve()));
      }
    });
  });

  for (const major of [22, 24]) {
    test(`on Node.js ${major}: the imports, --help and start (on PostgreSQL) work from the installed package`, async (t) => {
      const node = nodeBinary(major);
      const imported = run(node, ['imports.mjs'], project);
      assert.match(imported.stdout, new RegExp(`imports ok on v${major}\\.`), `the entry points import on Node.js ${major}`);
      const bin = join(project, 'node_modules', 'grantry', 'bin', 'grantry.js');
      assert.match(run(node, [bin, '--help'], project).stdout, /grantry start/, `grantry --help answers on Node.js ${major}`);
      // better-sqlite3 was built for this run's Node.js; on another release line the provider
      // runs on PostgreSQL, which needs no native module.
      const schema = `grantry_package_${major}_${process.pid}`;
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      try {
        await admin.query(`create schema "${schema}"`);
        const databaseUrl = `${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        await provesStart([node, bin], project, npmEnv({ GRANTRY_SECRET: testSecret, GRANTRY_DATABASE_URL: databaseUrl }));
      } finally {
        await admin.query(`drop schema if exists "${schema}" cascade`);
        await admin.end();
      }
      t.diagnostic(`Node.js ${run(node, ['--version'], project).stdout.trim()}`);
    });
  }
});

const connectOnlySite = `
import express from 'express';
import * as browser from 'grantry-connect/browser';
import { connectExpress, createConnect, openStore, weibo } from 'grantry-connect';

// Without better-sqlite3 installed, a SQLite URL is refused in one line naming the package.
const refused = await openStore('sqlite::memory:').then(() => 'opened', (error) => error.message);
const store = await openStore(process.env.DATABASE_URL);
const connect = createConnect({
  store,
  secret: process.env.SITE_SECRET,
  siteUrl: 'https://www.example.com',
  providers: [weibo({ clientId: 'weibo-app-key', clientSecret: 'weibo-app-secret' })],
});
const app = express();
app.use(connectExpress(connect));
const server = app.listen(0, '127.0.0.1', async () => {
  const login = await fetch('http://127.0.0.1:' + server.address().port + '/auth/weibo/login', { method: 'POST', redirect: 'manual', headers: { origin: 'https://www.example.com' } });
  console.log(JSON.stringify({ refused, status: login.status, location: login.headers.get('location'), browser: typeof browser.readImplicitResponse }));
  server.close();
  await store.close();
});
`;

const connectOnlyTypes = `
import { createConnect, openStore, grantry, type Connect, type ConnectStore, type ConnectUser } from 'grantry-connect';
import { readImplicitResponse, type ImplicitResponse } from 'grantry-connect/browser';

export async function use(): Promise<void> {
  const store: ConnectStore = await openStore('postgres://postgres@127.0.0.1:5432/test');
  const site: Connect = createConnect({ store, secret: 'x'.repeat(32), siteUrl: 'https://www.example.com', providers: [grantry({ issuer: 'https://id.example.com', clientId: 'id', clientSecret: 'secret' })] });
  const user: ConnectUser | undefined = await site.userFromCookies(undefined);
  const response: ImplicitResponse | null = readImplicitResponse();
  // @ts-expect-error a ConnectUser has no such field
  void user?.notAField;
  void response;
}
`;

describe('grantry-connect: Connect alone, packed and installed into a fresh site', () => {
  let work: string;
  let project: string;
  let packed: { tarball: string; files: number; size: number; unpackedSize: number; dependencies: Record<string, string>; peerDependencies: Record<string, string> };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'grantry-connect-package-'));
    // The build is grantry's own (the package test above made it through npm pack; building again costs little).
    if (!existsSync(join(root, 'dist/connect/index.js'))) run('npm', ['run', 'build'], root);
    packed = JSON.parse(run(process.execPath, [join(root, 'scripts/pack-connect.mjs'), '--destination', work], root).stdout);
    project = join(work, 'site');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'connect-only-site', private: true, type: 'module' }, null, 2));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('it depends on what Connect imports and nothing of the provider; the drivers and Fastify are optional peers', (t) => {
    t.diagnostic(`grantry-connect: ${packed.files} files, ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
    assert.deepEqual(Object.keys(packed.dependencies).sort(), ['@node-rs/argon2', 'jose', 'kysely'], 'Connect needs argon2 (site passwords), jose (ID tokens, site tokens) and Kysely');
    assert.deepEqual(Object.keys(packed.peerDependencies).sort(), ['better-sqlite3', 'fastify', 'pg'], 'the site brings its driver, and Fastify if it uses connectFastify');
    const listed = spawnSync('tar', ['tzf', packed.tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const provider = listed.filter((path) => /^package\/dist\/(provider|cli|demo)\//.test(path));
    assert.deepEqual(provider, [], 'none of the provider, the CLI or the demo is in it');
  });

  test('a site on PostgreSQL installs it without building anything, imports it with plain node and starts a login', async (t) => {
    const started = Date.now();
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', packed.tarball, `pg@${versionOf('pg')}`, `express@${versionOf('express')}`], project);
    const installSeconds = (Date.now() - started) / 1000;
    const installed = readdirSync(join(project, 'node_modules'), { withFileTypes: true }).flatMap((entry) =>
      entry.name.startsWith('@') ? readdirSync(join(project, 'node_modules', entry.name)).map((name) => `${entry.name}/${name}`) : entry.name.startsWith('.') ? [] : [entry.name]);
    t.diagnostic(`grantry-connect + pg + express: ${installed.length} top-level packages, installed in ${installSeconds.toFixed(1)} s`);
    for (const providerOnly of ['fastify', 'prom-client', 'better-sqlite3', '@fastify/cookie', 'grantry']) {
      assert.ok(!installed.includes(providerOnly), `${providerOnly} is not installed for a Connect-only site`);
    }
    const schema = `grantry_connect_only_${process.pid}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(`create schema "${schema}"`);
      const databaseUrl = `${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      writeFileSync(join(project, 'site.mjs'), connectOnlySite);
      const result = JSON.parse(run(process.execPath, ['site.mjs'], project, npmEnv({ DATABASE_URL: databaseUrl, SITE_SECRET: testSecret })).stdout) as Record<string, string | number>;
      assert.match(String(result.refused), /the SQLite store needs the better-sqlite3 package, which is not installed: npm install better-sqlite3/, 'a SQLite URL without its driver is refused in one line that says what to install');
      assert.equal(result.status, 303, 'the login starts');
      assert.match(String(result.location), /^https:\/\/api\.weibo\.com\/oauth2\/authorize\?/, 'at Weibo');
      assert.equal(result.browser, 'function', 'grantry-connect/browser imports');
      const tables = await admin.query(`select table_name from information_schema.tables where table_schema = $1 order by 1`, [schema]);
      assert.ok(tables.rows.some((row) => row.table_name === 'grantry_connect_migrations'), "Connect's tables were made in the site's database");
    } finally {
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    }
  });

  test('tsc (strict, node16) sees its types without Fastify or a SQLite driver installed', () => {
    const dir = join(project, 'types');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'use.ts'), connectOnlyTypes);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig('node16'), compilerOptions: { ...tsconfig('node16').compilerOptions, skipLibCheck: true, typeRoots: [join(root, 'node_modules/@types')] } }, null, 2));
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], project);
  });
});

import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { testSecret } from '../helpers/provider.ts';

// The package as a user gets it: `npm pack` (which builds dist/ through the prepare script), the
// tarball installed into a fresh project with its own node_modules, and then each promise of the
// package kept there — plain `node` imports every entry point, `tsc` sees their types, the
// `grantry` command answers and starts, and the README's Connect examples run as they are written.
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

const versionOf = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

/** The README's code block marked `<!-- example: NAME … -->`, exactly as a reader would copy it. */
function readmeExample(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- example: ${name}\\b[^>]*-->\\s*\`\`\`js\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  assert.ok(match, `the README has a js block marked "<!-- example: ${name} -->"`);
  return match[1]!;
}

const importCheck = `
import * as provider from 'grantry';
import * as connect from 'grantry/connect';
import * as browser from 'grantry/connect/browser';
const expected = {
  grantry: [provider, ['createProvider', 'openStore', 'makeConfig', 'registerClient']],
  'grantry/connect': [connect, ['createConnect', 'connectExpress', 'connectFastify', 'openStore', 'weibo', 'grantry', 'oidc']],
  'grantry/connect/browser': [browser, ['startImplicitLogin', 'readImplicitResponse', 'startLogin', 'completeLogin']],
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
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `express@${versionOf('express')}`, `fastify@${versionOf('fastify')}`, `@types/node@${versionOf('@types/node')}`], project);
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

  test('npx grantry --help and npx grantry start answer from the installed package', async () => {
    const help = run('npx', ['--no-install', 'grantry', '--help'], project);
    assert.match(help.stdout, /grantry start/, 'the help lists the start command');
    await provesStart(['npx', '--no-install', 'grantry'], project, npmEnv({ GRANTRY_SECRET: testSecret }));
  });

  for (const name of ['express', 'fastify']) {
    test(`the README's ${name} example runs unchanged against the installed package`, async () => {
      writeFileSync(join(project, `${name}.mjs`), readmeExample(name));
      const env = npmEnv({ SITE_SECRET: testSecret, WEIBO_APP_KEY: 'weibo-app-key', WEIBO_APP_SECRET: 'weibo-app-secret' });
      const child = spawn(process.execPath, ['--import', join(root, 'test/package/listen-probe.mjs'), `${name}.mjs`], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      try {
        const port = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', () => {
            const found = /grantry-probe-port=(\d+)/.exec(output)?.[1];
            if (found) resolve(found);
          });
          void exited.then(() => reject(new Error(`the ${name} example exited:\n${output}`)));
        });
        const home = await fetch(`http://127.0.0.1:${port}/`);
        assert.match(await home.text(), /Log in with Weibo/, `the ${name} example's home page offers the login: ${output}`);
        const login = await fetch(`http://127.0.0.1:${port}/auth/weibo/login`, { method: 'POST', redirect: 'manual', headers: { origin: 'https://www.example.com' } });
        const location = new URL(login.headers.get('location') ?? 'about:blank');
        assert.equal(`${location.origin}${location.pathname}`, 'https://api.weibo.com/oauth2/authorize', `the login goes to Weibo (status ${login.status}): ${output}`);
        assert.equal(location.searchParams.get('client_id'), 'weibo-app-key', 'with the App Key');
        assert.equal(location.searchParams.get('redirect_uri'), 'https://www.example.com/auth/weibo/callback', 'and the callback the README says to register');
        assert.ok(location.searchParams.get('state'), 'and a state');
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    });
  }

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

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli.ts';
import { testSecret } from './provider.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildProvider {
  child: ChildProcess;
  url: string;
  databaseUrl: string;
  dir: string;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `grantry start` as its own process (`node --import tsx src/cli/main.ts start`) on a port the
 * system picks (--port 0) over a fresh SQLite store, with an optional grantry.json; resolves once it
 * listens, with the port it printed.
 */
export async function startChildProvider(options: { config?: Record<string, unknown>; env?: Record<string, string>; databaseUrl?: string } = {}): Promise<ChildProvider> {
  const dir = mkdtempSync(join(tmpdir(), 'grantry-child-'));
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(dir, 'grantry.sqlite')}`;
  // tsx found from this repository, whatever directory the process runs in.
  const args = ['--import', import.meta.resolve('tsx'), join(root, 'src/cli/main.ts'), 'start', '--port', '0', '--database-url', databaseUrl];
  if (options.config) {
    writeFileSync(join(dir, 'grantry.json'), JSON.stringify(options.config));
    args.push('--config', join(dir, 'grantry.json'));
  }
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, GRANTRY_SECRET: testSecret, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const found = /listening on http:\/\/[^\s:"]+:(\d+)/.exec(stdout)?.[1];
      if (found) resolve(found);
    });
    void exited.then(({ code }) => reject(new Error(`grantry start exited (${code}) before listening: ${stderr}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, databaseUrl, dir, stdout: () => stdout, stderr: () => stderr, exited };
}

/** A service app (client_credentials) registered through the CLI in the given store. */
export async function createServiceApp(databaseUrl: string): Promise<{ clientId: string; clientSecret: string }> {
  const created = await runCli(['client', 'create', '--name', 'Load', '--type', 'service', '--database-url', databaseUrl, '--json']);
  if (created.code !== 0) throw new Error(created.stderr);
  const { client_id, client_secret } = created.json();
  return { clientId: client_id, clientSecret: client_secret };
}

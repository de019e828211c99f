import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testSecret } from './provider.ts';

// The suite runs the sources through tsx; test/package/install.test.ts proves the built bin.
const cliSource = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** The arguments that start the grantry command from this checkout's sources, from any directory. */
export const grantryCommand = ['--import', import.meta.resolve('tsx'), cliSource];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/** Runs the grantry command as a user would, in its own process. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...grantryCommand, ...args], {
      cwd: options.cwd,
      env: { ...process.env, GRANTRY_SECRET: testSecret, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}


/**
 * `grantry start --port 0` (over ./data/grantry.sqlite unless the arguments say otherwise) in
 * `cwd`, until it says it listens — or exits — then SIGTERM: everything it printed.
 */
export async function startUntilListening(cwd: string, env: Record<string, string>, args: string[] = []): Promise<string> {
  const child = spawn(process.execPath, [...grantryCommand, 'start', '--port', '0', '--database-url', 'sqlite:./data/grantry.sqlite', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve) => {
    const listening = () => /listening on/.test(output) && (!args.includes('--demo') || /demo website:/.test(output)) && resolve();
    child.stdout.on('data', (chunk) => ((output += chunk), listening()));
    child.stderr.on('data', (chunk) => (output += chunk));
    void exited.then(() => resolve());
  });
  child.kill('SIGTERM');
  await exited;
  return output;
}

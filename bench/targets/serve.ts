// One benchmark target per process, so that the load generator and the server do not share a
// thread: `node --import tsx bench/targets/serve.ts <name>` starts the target, then reads one
// JSON command per line on stdin ({"prepare": scenario, "count": n}) and answers each with one
// JSON line on stdout. The first line it prints is {"url", "scenarios"}.
import { createInterface } from 'node:readline';
import type { RunningTarget } from './types.ts';

// Each target loads only its own modules, so that its peak RSS is its own.
const targets: Record<string, () => Promise<RunningTarget>> = {
  'node:http': async () => (await import('./baselines.ts')).startBareNode(),
  fastify: async () => (await import('./baselines.ts')).startBareFastify(),
  'oidc-provider': async () => (await import('./oidc-provider.ts')).startOidcProvider(),
  'oauth2-server': async () => (await import('./oauth2-server.ts')).startOauth2Server(),
  'grantry-sqlite': async () => (await import('./grantry.ts')).startGrantry('sqlite'),
  'grantry-postgres': async () => (await import('./grantry.ts')).startGrantry('postgres'),
  'express-resource': async () => (await import('./express-resource.ts')).startExpressResource(),
};

const name = process.argv[2]!;
const start = targets[name];
if (!start) throw new Error(`no benchmark target ${name}`);
const target = await start();
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
say({ url: target.url, scenarios: target.scenarios });

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { prepare?: string; count?: number; close?: true };
  if (command.close) {
    await target.close();
    process.exit(0);
  }
  try {
    say({ material: await target.prepare(command.prepare as never, command.count ?? 0) });
  } catch (error) {
    say({ error: (error as Error).stack ?? String(error) });
  }
}

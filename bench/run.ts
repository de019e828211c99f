// npm run bench — Grantry's hot paths against a bare node:http server and against oidc-provider,
// all measured in the same run on the same machine. Two figures per row: requests per second as a
// ratio to bare node:http (the machine is shared and noisy, so only ratios mean much), and the
// server's own CPU time per request, read from /proc, which the load on the other core disturbs less.
// Each target runs in its own process; autocannon drives it from this one.
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

interface Target {
  info: Record<string, string>;
  child: ChildProcess;
}

async function startTarget(name: string): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/target.ts', name], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { info: JSON.parse(line), child };
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let baseline = 0;

async function load(title: string, target: Target, options: autocannon.Options): Promise<number> {
  // A short warm-up, so that JIT and connection setup are not measured.
  await autocannon({ ...options, duration: 1, connections });
  const cpuBefore = cpuSeconds(target.child.pid!);
  const result = await autocannon({ ...options, duration: seconds, connections });
  const cpuMicros = ((cpuSeconds(target.child.pid!) - cpuBefore) / result.requests.total) * 1e6;
  const errors = result.non2xx + result.errors;
  const rps = result.requests.average;
  const ratio = baseline ? `${(rps / baseline).toFixed(3)} ×` : '1.000 ×';
  process.stdout.write(
    `| ${title.padEnd(50)} | ${rps.toFixed(0).padStart(6)} | ${ratio.padStart(7)} | ${cpuMicros.toFixed(0).padStart(5)} | ${String(result.latency.p99).padStart(4)} |${errors ? ` ${errors} errors` : ''}\n`,
  );
  return rps;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function token(url: string, path: string, id: string, secret: string): Promise<string> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { ...form, authorization: basic(id, secret) }, body: 'grant_type=client_credentials' });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function withTarget(name: string, work: (target: Target) => Promise<void>): Promise<void> {
  const target = await startTarget(name);
  try {
    await work(target);
  } finally {
    target.child.kill();
    if (target.info.schema) {
      const client = new pg.Client({ connectionString: process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
      await client.connect();
      await client.query(`drop schema if exists "${target.info.schema}" cascade`);
      await client.end();
    }
  }
}

function clientCredentials(url: string, id: string, secret: string): autocannon.Options {
  return { url, method: 'POST', headers: { ...form, authorization: basic(id, secret) }, body: 'grant_type=client_credentials' };
}

async function benchGrantry(name: string): Promise<void> {
  await withTarget(name, async (target) => {
    const { info } = target;
    await load(`${name}: client_credentials, JWT (EdDSA)`, target, clientCredentials(`${info.url}/oauth2/token`, info.clientId!, info.clientSecret!));
    await load(`${name}: client_credentials, opaque`, target, clientCredentials(`${info.url}/oauth2/token`, info.opaqueClientId!, info.opaqueClientSecret!));
    const jwt = await token(info.url!, '/oauth2/token', info.clientId!, info.clientSecret!);
    await load(`${name}: introspection of a JWT`, target, {
      url: `${info.url}/oauth2/introspect`, method: 'POST', headers: { ...form, authorization: basic(info.clientId!, info.clientSecret!) }, body: `token=${jwt}`,
    });
    const opaque = await token(info.url!, '/oauth2/token', info.opaqueClientId!, info.opaqueClientSecret!);
    await load(`${name}: introspection of an opaque token`, target, {
      url: `${info.url}/oauth2/introspect`, method: 'POST', headers: { ...form, authorization: basic(info.clientId!, info.clientSecret!) }, body: `token=${opaque}`,
    });
  });
}

process.stdout.write(`${seconds} s per row, ${connections} connections, Node ${process.version}\n\n`);
process.stdout.write('| target | req/s | × bare node:http | server CPU µs / request | p99 ms |\n|---|---|---|---|---|\n');
await withTarget('node', async (target) => {
  baseline = await load('bare node:http, fixed answer', target, { url: target.info.url! });
});
await withTarget('fastify', async (target) => {
  await load('Fastify, fixed answer', target, { url: target.info.url! });
});
await withTarget('oidc-provider', async (target) => {
  const { info } = target;
  await load('oidc-provider 8 (memory): client_credentials, JWT (EdDSA)', target, clientCredentials(`${info.url}/token`, info.clientId!, info.clientSecret!));
  await load('oidc-provider 8 (memory): client_credentials, opaque', target, clientCredentials(`${info.url}/token`, info.opaqueClientId!, info.opaqueClientSecret!));
  const opaque = await token(info.url!, '/token', info.opaqueClientId!, info.opaqueClientSecret!);
  await load('oidc-provider 8 (memory): introspection of an opaque token', target, {
    url: `${info.url}/token/introspection`, method: 'POST', headers: { ...form, authorization: basic(info.opaqueClientId!, info.opaqueClientSecret!) }, body: `token=${opaque}`,
  });
});
await benchGrantry('grantry-sqlite');
await benchGrantry('grantry-postgres');

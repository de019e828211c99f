// npm run bench — requests per second at Grantry's hot paths, as ratios to a bare node:http server
// measured in the same run on the same machine (absolute numbers on a shared machine mean little).
// Each target runs in its own process; autocannon drives it from this one.
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

async function load(title: string, options: autocannon.Options): Promise<number> {
  // A short warm-up, so that JIT and connection setup are not measured.
  await autocannon({ ...options, duration: 1, connections });
  const result = await autocannon({ ...options, duration: seconds, connections });
  const errors = result.non2xx + result.errors;
  const rps = result.requests.average;
  process.stdout.write(`${title.padEnd(52)} ${rps.toFixed(0).padStart(7)} req/s  p99 ${String(result.latency.p99).padStart(4)} ms${errors ? `  (${errors} errors)` : ''}\n`);
  return rps;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function token(info: Record<string, string>, id: string, secret: string): Promise<string> {
  const response = await fetch(`${info.url}/oauth2/token`, { method: 'POST', headers: { ...form, authorization: basic(id, secret) }, body: 'grant_type=client_credentials' });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function benchGrantry(name: string, baseline: number): Promise<void> {
  const target = await startTarget(name);
  const { info } = target;
  try {
    const rows: [string, number][] = [];
    rows.push([`${name}: client_credentials, JWT (EdDSA)`, await load(`${name}: client_credentials, JWT (EdDSA)`, {
      url: `${info.url}/oauth2/token`, method: 'POST', headers: { ...form, authorization: basic(info.clientId!, info.clientSecret!) }, body: 'grant_type=client_credentials',
    })]);
    rows.push([`${name}: client_credentials, opaque`, await load(`${name}: client_credentials, opaque`, {
      url: `${info.url}/oauth2/token`, method: 'POST', headers: { ...form, authorization: basic(info.opaqueClientId!, info.opaqueClientSecret!) }, body: 'grant_type=client_credentials',
    })]);
    const jwt = await token(info, info.clientId!, info.clientSecret!);
    rows.push([`${name}: introspection of a JWT`, await load(`${name}: introspection of a JWT`, {
      url: `${info.url}/oauth2/introspect`, method: 'POST', headers: { ...form, authorization: basic(info.clientId!, info.clientSecret!) }, body: `token=${jwt}`,
    })]);
    for (const [title, rps] of rows) process.stdout.write(`${title.padEnd(52)} ${(rps / baseline).toFixed(3)} × bare node:http\n`);
  } finally {
    target.child.kill();
    if (info.schema) {
      const client = new pg.Client({ connectionString: process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
      await client.connect();
      await client.query(`drop schema if exists "${info.schema}" cascade`);
      await client.end();
    }
  }
}

const node = await startTarget('node');
const baseline = await load('bare node:http, fixed answer', { url: node.info.url! });
node.child.kill();
const fastify = await startTarget('fastify');
const fastifyRps = await load('Fastify, fixed answer', { url: fastify.info.url! });
process.stdout.write(`${'Fastify, fixed answer'.padEnd(52)} ${(fastifyRps / baseline).toFixed(3)} × bare node:http\n`);
fastify.child.kill();
await benchGrantry('grantry-sqlite', baseline);
await benchGrantry('grantry-postgres', baseline);

// npm run bench — Grantry's hot paths against a bare node:http server (the ceiling) and against
// two peers, oidc-provider and @node-oauth/oauth2-server, all in one run on one machine. Each
// server runs alone in its own process, is warmed up, loaded by autocannon from this process,
// and stopped; the order of the servers alternates between rounds. The machine is shared and
// noisy, so every figure is also given as a ratio to the ceiling and to each peer in the same
// round, next to the server's own CPU time per request read from /proc.
//
//   npm run bench                      two rounds, 5 s per scenario, 50 connections
//   npm run bench -- --quick           one short round: proves the harness, measures nothing
//   options: --rounds N --seconds N --connections N --only a,b --scenarios me-jwt,me-opaque --out DIR
//   npm run bench -- --only grantry-sqlite --scenarios me-jwt --out /tmp/bench   one scenario of one server (--help lists them)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { drawChart } from './chart.ts';
import { checkTargets, formatByScenario, formatTable, scenarioTitles, summarize, type Row } from './report.ts';
import type { Material, ScenarioId } from './targets/types.ts';

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  process.stdout.write(
    `npm run bench -- [--quick] [--rounds N] [--seconds N] [--connections N] [--only targets] [--scenarios ids] [--out DIR]\n` +
      `  --only       node:http (always run: the ceiling), fastify, oidc-provider, oauth2-server, grantry-sqlite, grantry-postgres, express-resource\n` +
      `  --scenarios  ${Object.keys(scenarioTitles).join(', ')}\n` +
      `  --out        where latest.json, .md and .svg go (default docs/bench; --quick: a temporary folder)\n` +
      `e.g. /api/me with a JWT on SQLite alone: npm run bench -- --only grantry-sqlite --scenarios me-jwt --out /tmp/bench\n`,
  );
  process.exit(0);
}
/** Only these scenarios of each target (the ceiling's fixed answer is always measured). */
const scenarioFilter = options.scenarios ? new Set(['fixed', ...options.scenarios.split(',')]) : undefined;
const quick = options.quick!;
const rounds = Number(options.rounds ?? (quick ? 1 : 2));
const seconds = Number(options.seconds ?? (quick ? 1 : 5));
const warmSeconds = quick ? 0.3 : 1;
const connections = Number(options.connections ?? (quick ? 10 : 50));
const outDir = options.out ?? (quick ? join(tmpdir(), `grantry-bench-${process.pid}`) : 'docs/bench');
/** Single-use codes minted per measured run; the run ends when they are spent. */
const codesPerRun = quick ? 150 : 6000;

const targetNames = ['node:http', 'fastify', 'oidc-provider', 'oauth2-server', 'grantry-sqlite', 'grantry-postgres', 'express-resource']
  .filter((name) => !options.only || name === 'node:http' || options.only.split(',').includes(name));


// ── one target process ─────────────────────────────────────────────────────────────────────

interface TargetProcess {
  name: string;
  child: ChildProcess;
  url: string;
  scenarios: ScenarioId[];
  ask(command: object): Promise<Record<string, unknown>>;
}

async function startTarget(name: string): Promise<TargetProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/targets/serve.ts', name], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const waiting: Array<{ resolve(line: string): void; reject(error: Error): void }> = [];
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.once('exit', (code) => waiting.splice(0).forEach((w) => w.reject(new Error(`${name} exited with ${code}`))));
  const next = () => new Promise<Record<string, unknown>>((resolve, reject) => {
    waiting.push({ resolve: (line) => resolve(JSON.parse(line)), reject });
  });
  const hello = await next();
  return {
    name, child, url: hello.url as string, scenarios: hello.scenarios as ScenarioId[],
    async ask(command) {
      const answer = next();
      child.stdin!.write(`${JSON.stringify(command)}\n`);
      return answer;
    },
  };
}

async function stopTarget(target: TargetProcess): Promise<void> {
  const exited = new Promise((resolve) => target.child.once('exit', resolve));
  target.child.stdin!.write(`${JSON.stringify({ close: true })}\n`);
  const timer = setTimeout(() => target.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Starts the process's peak-RSS reading afresh (Linux: 5 written to clear_refs), so that the peak
 * is the load's own and not that of preparing it (thousands of codes minted beforehand).
 */
function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted here: the peak then includes the preparation, which only overstates it.
  }
}

/** The process's peak resident set since the last reset, in MiB. */
function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

// ── turning material into autocannon's requests ────────────────────────────────────────────

/** When the latest answer of a single-use-material run (codes) arrived. */
let lastAnswerAt = 0;

function loadOptions(url: string, material: Material, duration: number): autocannon.Options {
  const base = { url: url + material.path, method: material.method, headers: material.headers, connections };
  if (material.bodies) {
    const bodies = material.bodies;
    let next = 0;
    return {
      ...base, amount: bodies.length,
      requests: [{
        setupRequest: (request: autocannon.Request) => ({ ...request, body: bodies[next++ % bodies.length] }),
        // autocannon notices that `amount` requests are done only at its next one-second tick:
        // the run's length is taken from the last answer instead.
        onResponse: () => {
          lastAnswerAt = performance.now();
        },
      }],
    } as autocannon.Options;
  }
  if (material.pool) {
    const { template, tokens, field } = material.pool;
    return {
      ...base, duration,
      requests: [{
        setupRequest: (request: autocannon.Request) => ({ ...request, body: template.replace('{token}', tokens.shift() ?? '') }),
        onResponse: (status: number, body: string) => {
          if (status === 200) tokens.push(JSON.parse(body)[field]);
        },
      }],
    } as autocannon.Options;
  }
  return { ...base, duration, body: material.body };
}

async function prepare(target: TargetProcess, scenario: ScenarioId, count: number): Promise<Material> {
  const answer = await target.ask({ prepare: scenario, count });
  if (answer.error) throw new Error(`${target.name} could not prepare ${scenario}: ${answer.error}`);
  return answer.material as Material;
}

async function measure(target: TargetProcess, scenario: ScenarioId, round: number): Promise<Row> {
  const warm = await prepare(target, scenario, Math.ceil(codesPerRun / 5));
  await autocannon(loadOptions(target.url, warm, warmSeconds));
  const material = await prepare(target, scenario, codesPerRun);
  const pid = target.child.pid!;
  resetPeakRss(pid);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const result = await autocannon(loadOptions(target.url, material, seconds));
  const elapsed = ((material.bodies ? lastAnswerAt : performance.now()) - started) / 1000;
  const total = result.requests.total;
  return {
    round, target: target.name, scenario,
    requests: total,
    rps: total / elapsed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMicros: total ? ((cpuSeconds(pid) - cpuBefore) / total) * 1e6 : 0,
    rssMiB: peakRssMiB(pid),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

// ── the run ────────────────────────────────────────────────────────────────────────────────

const rows: Row[] = [];
const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(`Grantry benchmark: ${rounds} round(s), ${seconds} s per scenario, ${connections} connections, Node ${process.version}, ${cpus().length} × ${cpu}\n`);
for (let round = 1; round <= rounds; round++) {
  // The ceiling first and last in every round (the machine drifts; the round's ceiling is the
  // better of the two); the others alternate their order between rounds.
  const others = targetNames.slice(1);
  const order = ['node:http', ...(round % 2 ? others : others.reverse()), 'node:http'];
  for (const name of order) {
    const target = await startTarget(name);
    try {
      for (const scenario of target.scenarios.filter((id) => !scenarioFilter || scenarioFilter.has(id))) {
        const row = await measure(target, scenario, round);
        rows.push(row);
        process.stdout.write(`  round ${round}  ${name.padEnd(16)} ${scenarioTitles[scenario].padEnd(34)} ${row.rps.toFixed(0).padStart(6)} req/s ${row.cpuMicros.toFixed(0).padStart(5)} µs${row.errors + row.non2xx ? `  ${row.errors} errors, ${row.non2xx} non-2xx` : ''}\n`);
      }
    } finally {
      await stopTarget(target);
    }
  }
}

const summary = summarize(rows);
process.stdout.write(`\n${formatTable(summary)}\n`);
const checks = checkTargets(summary);
process.stdout.write(`\nTargets:\n${checks.map((c) => `  ${c.met ? 'met    ' : 'NOT MET'}  ${c.text}`).join('\n')}\n`);

mkdirSync(outDir, { recursive: true });
const report = {
  date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu, quick, rounds, seconds, connections, codesPerRun,
  rows, summary, checks,
};
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(
  join(outDir, 'latest.md'),
  `${report.date.slice(0, 10)}: ${rounds} round(s) of ${seconds} s per scenario, ${connections} connections; Node ${process.version}; ${cpus().length} × ${cpu}.\n` +
    `Requests per second, and the server's CPU time per request in brackets.\n\n${formatByScenario(summary)}\n\n` +
    `Every server, with p50/p99, peak RSS and each ratio:\n\n${formatTable(summary)}\n\nTargets:\n\n${checks.map((c) => `- ${c.met ? 'met' : '**not met**'}: ${c.text}`).join('\n')}\n`,
);
writeFileSync(join(outDir, 'latest.svg'), drawChart(summary, `${cpus().length} × ${cpu}, Node ${process.version}, ${report.date.slice(0, 10)}`));
process.stdout.write(`\nWrote latest.json, latest.md and latest.svg in ${outDir}\n`);

const failed = rows.filter((row) => row.errors || row.non2xx || !row.requests);
if (failed.length) {
  process.stdout.write(`\n${failed.length} scenario(s) had failed requests\n`);
  process.exitCode = 1;
}

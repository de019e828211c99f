// Turning measured rows into the table, the ratios and the targets of the benchmark.
import type { ScenarioId } from './targets/types.ts';

export interface Row {
  round: number;
  target: string;
  scenario: ScenarioId;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  cpuMicros: number;
  rssMiB: number;
  errors: number;
  non2xx: number;
}

export interface Summary extends Omit<Row, 'round'> {
  rounds: number;
  /** Throughput as a ratio to the bare node:http ceiling of the same round (geometric mean over rounds); the ceiling's own rows are compared to the better of the round. */
  xCeiling: number;
  /** Throughput as a ratio to each peer in the same scenario and round. */
  xPeers: Record<string, number>;
}

export const peers = ['oidc-provider', 'oauth2-server'];

/** How each scenario is named in the table and the chart. */
export const scenarioTitles: Record<ScenarioId, string> = {
  fixed: 'fixed answer',
  'cc-jwt': 'client_credentials, JWT',
  'cc-opaque': 'client_credentials, opaque',
  code: 'authorization_code exchange',
  'code-openid-eddsa': 'authorization_code exchange, openid (EdDSA ID token)',
  'code-openid-rs256': 'authorization_code exchange, openid (RS256 ID token)',
  refresh: 'refresh_token rotation',
  'introspect-jwt': 'introspection of a JWT',
  'introspect-opaque': 'introspection of an opaque token',
  'me-jwt': 'GET /api/me, JWT',
  'me-opaque': 'GET /api/me, opaque',
  'express-open': 'an Express route, no check',
  'express-resource': 'the same route behind grantry/resource (JWT)',
};

/** The scenarios that compare a route with itself behind grantry/resource: a line of their own, not servers' columns. */
const resourceScenarios: ScenarioId[] = ['express-open', 'express-resource'];

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const geomean = (values: number[]) => Math.exp(mean(values.map(Math.log)));

export function summarize(rows: Row[]): Summary[] {
  // node:http runs first and last in each round: the ceiling is the better of the two.
  const ceiling = (round: number) => Math.max(...rows.filter((r) => r.round === round && r.target === 'node:http').map((r) => r.rps));
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.scenario}\u0000${row.target}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const xPeers: Record<string, number> = {};
    for (const peer of peers) {
      if (peer === first.target) continue;
      const ratios = group.flatMap((row) => {
        const other = rows.find((r) => r.round === row.round && r.target === peer && r.scenario === row.scenario);
        return other ? [row.rps / other.rps] : [];
      });
      if (ratios.length) xPeers[peer] = geomean(ratios);
    }
    return {
      target: first.target, scenario: first.scenario, rounds: group.length,
      requests: group.reduce((sum, r) => sum + r.requests, 0),
      rps: mean(group.map((r) => r.rps)),
      p50: mean(group.map((r) => r.p50)),
      p99: Math.max(...group.map((r) => r.p99)),
      cpuMicros: mean(group.map((r) => r.cpuMicros)),
      rssMiB: Math.max(...group.map((r) => r.rssMiB)),
      errors: group.reduce((sum, r) => sum + r.errors, 0),
      non2xx: group.reduce((sum, r) => sum + r.non2xx, 0),
      xCeiling: geomean(group.map((r) => r.rps / ceiling(r.round))),
      xPeers,
    };
  });
}

const ratio = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '' : `${value.toFixed(value < 0.1 ? 3 : 2)} ×`);

export function formatTable(summary: Summary[]): string {
  const lines = [
    '| scenario | server | req/s | × node:http | × oidc-provider | × oauth2-server | p50 ms | p99 ms | CPU µs / req | peak RSS MiB | errors, non-2xx |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const s of summary) {
    lines.push(`| ${s.scenario} | ${s.target} | ${s.rps.toFixed(0)} | ${ratio(s.xCeiling)} | ${ratio(s.xPeers['oidc-provider'])} | ${ratio(s.xPeers['oauth2-server'])} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(0)} | ${s.cpuMicros.toFixed(0)} | ${s.rssMiB.toFixed(0)} | ${s.errors}, ${s.non2xx} |`);
  }
  return lines.join('\n');
}

export interface Check {
  text: string;
  met: boolean;
}

/** The targets Grantry holds itself to, read off the SQLite default's figures. */
export function checkTargets(summary: Summary[]): Check[] {
  const find = (target: string, scenario: ScenarioId) => summary.find((s) => s.target === target && s.scenario === scenario);
  const checks: Check[] = [];
  const grantry = 'grantry-sqlite';
  const versus = (scenario: ScenarioId, peer: string, factor: number, title: string) => {
    const value = find(grantry, scenario)?.xPeers[peer];
    if (value !== undefined) checks.push({ text: `${title}: ${value.toFixed(2)} × ${peer} (target ≥ ${factor} ×)`, met: value >= factor });
  };
  const ceiling = (scenario: ScenarioId, factor: number, title: string) => {
    const value = find(grantry, scenario)?.xCeiling;
    if (value !== undefined) checks.push({ text: `${title}: ${value.toFixed(3)} × node:http (target ≥ ${factor} ×)`, met: value >= factor });
  };
  versus('cc-jwt', 'oidc-provider', 2, 'client_credentials, JWT');
  versus('cc-opaque', 'oidc-provider', 2, 'client_credentials, opaque');
  ceiling('cc-jwt', 0.35, 'client_credentials, JWT');
  versus('code', 'oidc-provider', 3, 'authorization_code exchange');
  ceiling('me-jwt', 0.5, 'GET /api/me with a JWT');
  const open = find('express-resource', 'express-open');
  const guarded = find('express-resource', 'express-resource');
  if (open && guarded) {
    const more = guarded.cpuMicros - open.cpuMicros;
    checks.push({ text: `grantry/resource in an Express route: ${more.toFixed(0)} µs of CPU per request over the same route unchecked (target < 15 µs)`, met: more < 15 });
  }
  const ours = summary.filter((s) => s.target === grantry);
  if (ours.length) {
    const failures = ours.reduce((sum, s) => sum + s.errors + s.non2xx, 0);
    checks.push({ text: `no errors or non-2xx answers: ${failures}`, met: failures === 0 });
    const p99 = Math.max(...ours.map((s) => s.p99));
    checks.push({ text: `p99 latency at most ${p99} ms (target < 25 ms)`, met: p99 < 25 });
    const rss = Math.max(...ours.map((s) => s.rssMiB));
    checks.push({ text: `peak RSS ${rss.toFixed(0)} MiB (target < 200 MiB)`, met: rss < 200 });
  }
  return checks;
}

const columns = ['grantry-sqlite', 'grantry-postgres', 'oidc-provider', 'oauth2-server'];

/** One line per scenario, one column per server: req/s, and CPU µs per request in brackets (the README's table). */
export function formatByScenario(summary: Summary[]): string {
  const find = (target: string, scenario: ScenarioId) => summary.find((s) => s.target === target && s.scenario === scenario);
  const cell = (s: Summary | undefined) => (s ? `${s.rps.toFixed(0)} (${s.cpuMicros.toFixed(0)} µs)` : '—');
  const ceiling = find('node:http', 'fixed');
  const fastify = find('fastify', 'fixed');
  const lines = [`A fixed answer: bare node:http (the ceiling) ${cell(ceiling)}, Fastify ${cell(fastify)}.`];
  const scenarios = [...new Set(summary.map((s) => s.scenario))].filter((s) => s !== 'fixed' && !resourceScenarios.includes(s));
  if (scenarios.length) lines.push('', `| scenario | ${columns.join(' | ')} |`, `|---|${columns.map(() => '--:').join('|')}|`);
  for (const scenario of scenarios) lines.push(`| ${scenarioTitles[scenario]} | ${columns.map((target) => cell(find(target, scenario))).join(' | ')} |`);
  const open = find('express-resource', 'express-open');
  const guarded = find('express-resource', 'express-resource');
  if (open && guarded) {
    lines.push('', `grantry/resource in an Express route: no check ${cell(open)}, with \`protectedResource(...).express()\` verifying a JWT ${cell(guarded)}: ${(guarded.cpuMicros - open.cpuMicros).toFixed(0)} µs of CPU per request more.`);
  }
  return lines.join('\n');
}

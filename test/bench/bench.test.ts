import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

// `npm run bench -- --quick` once, to prove the harness: every server starts, every scenario is
// prepared and loaded, and every request of every scenario succeeds. No speed is asserted: the
// machine is shared, and speed is what `npm run bench` measures, not what a test can.
test('npm run bench -- --quick runs every scenario on every server with no failed request', { timeout: 600_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'grantry-bench-test-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output);

    const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
      rows: Array<{ target: string; scenario: string; requests: number; errors: number; non2xx: number; cpuMicros: number; rssMiB: number }>;
    };
    const ran = report.rows.map((row) => `${row.target} ${row.scenario}`).sort();
    const grantryScenarios = ['cc-jwt', 'cc-opaque', 'code', 'code-openid-eddsa', 'code-openid-rs256', 'refresh', 'introspect-jwt', 'introspect-opaque', 'me-jwt', 'me-opaque'];
    assert.deepEqual(ran, [
      'fastify fixed',
      ...grantryScenarios.map((s) => `grantry-postgres ${s}`),
      ...grantryScenarios.map((s) => `grantry-sqlite ${s}`),
      // The ceiling runs first and last in the round.
      'express-resource express-open',
      'express-resource express-resource',
      'node:http fixed',
      'node:http fixed',
      ...['cc-opaque', 'code', 'me-opaque', 'refresh'].map((s) => `oauth2-server ${s}`),
      ...['cc-jwt', 'cc-opaque', 'code', 'introspect-opaque', 'refresh'].map((s) => `oidc-provider ${s}`),
    ].sort(), 'every scenario ran on every server, the ceiling twice');
    for (const row of report.rows) {
      assert.ok(row.requests > 0, `${row.target} ${row.scenario} sent no request`);
      assert.equal(row.errors + row.non2xx, 0, `${row.target} ${row.scenario}: ${row.errors} errors, ${row.non2xx} non-2xx`);
      assert.ok(row.cpuMicros > 0 && row.rssMiB > 0, `${row.target} ${row.scenario} was not measured`);
    }
    assert.match(readFileSync(join(out, 'latest.svg'), 'utf8'), /^<svg [^>]+>[\s\S]*grantry-sqlite[\s\S]*<\/svg>\n$/, 'the chart latest.svg is written, with the grantry-sqlite runs');
    t.diagnostic(`${report.rows.length} scenario runs, ${report.rows.reduce((sum, row) => sum + row.requests, 0)} requests, none failed`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

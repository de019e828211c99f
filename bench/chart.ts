// The benchmark as an SVG bar chart for the docs: one group of bars per scenario, one bar per
// server, its length the throughput as a ratio to the bare node:http ceiling of the same round.
import type { Summary } from './report.ts';

const colours: Record<string, string> = {
  'grantry-sqlite': '#1f6feb',
  'grantry-postgres': '#58a6ff',
  'oidc-provider': '#d29922',
  'oauth2-server': '#8b949e',
  fastify: '#2da44e',
  'node:http': '#57606a',
};

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function drawChart(summary: Summary[], caption: string): string {
  const scenarios = [...new Set(summary.map((s) => s.scenario))];
  const barHeight = 14;
  const gap = 10;
  const labelWidth = 230;
  const plotWidth = 520;
  const max = Math.max(1, ...summary.map((s) => s.xCeiling).filter(Number.isFinite));
  const parts: string[] = [];
  let y = 40;
  for (const scenario of scenarios) {
    const bars = summary.filter((s) => s.scenario === scenario);
    parts.push(`<text x="0" y="${y + 11}" font-weight="bold">${escape(scenario)}</text>`);
    y += 16;
    for (const bar of bars) {
      const width = Math.max(1, (bar.xCeiling / max) * plotWidth);
      parts.push(
        `<text x="${labelWidth - 6}" y="${y + 11}" text-anchor="end">${escape(bar.target)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${colours[bar.target] ?? '#999'}"/>`,
        `<text x="${labelWidth + width + 4}" y="${y + 11}">${bar.xCeiling.toFixed(3)} × · ${bar.rps.toFixed(0)}/s · ${bar.cpuMicros.toFixed(0)} µs</text>`,
      );
      y += barHeight + 3;
    }
    y += gap;
  }
  const width = labelWidth + plotWidth + 190;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="0" y="14" font-size="13" font-weight="bold">Throughput as a ratio to bare node:http (req/s · server CPU per request)</text>`,
    `<text x="0" y="30" fill="#57606a">${escape(caption)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

import { createHash } from 'node:crypto';

// The stylesheet of Connect's own pages (./pages.ts), in the look of the provider's pages
// (src/provider/pages/assets.ts) and as small as those two pages need. Connect serves it itself,
// under basePath, rather than inline: a site whose Content-Security-Policy says `style-src 'self'`
// (or only `default-src 'self'`, as the demo site's does) would refuse an inline <style>, and no
// site should have to loosen its policy for these pages.

export const connectStylesheet = `
:root { color-scheme: light; --fg: #111827; --bg: #ffffff; --panel: #f9fafb; --line: #d1d5db; --accent: #1d4ed8;
  --accent-fg: #ffffff; --muted: #4b5563; --danger: #b91c1c; --focus: #f59e0b; }
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
  color: var(--fg); background: var(--bg); max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 2rem; overflow-wrap: anywhere; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 .25rem; }
p { margin: .75rem 0; }
label { display: block; margin: .9rem 0 .25rem; font-weight: 600; }
input { display: block; width: 100%; padding: .55rem .6rem; font: inherit; color: inherit; background: var(--bg);
  border: 1px solid #6b7280; border-radius: 6px; }
.hint { color: var(--muted); font-size: .92rem; margin: .25rem 0 0; }
button { font: inherit; display: inline-block; padding: .55rem 1.2rem; margin: 1.1rem 0 0; cursor: pointer; border-radius: 6px;
  border: 1px solid #6b7280; background: var(--panel); color: var(--fg); min-height: 2.75rem; }
button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: 1rem; margin: 1.25rem 0; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem 1.25rem; background: var(--bg); }
.card > .hint:first-of-type { margin-bottom: .25rem; }
.box { border: 1px solid var(--line); border-left-width: 4px; padding: .6rem 1rem; border-radius: 6px; margin: 1rem 0; }
.error { border-color: var(--danger); color: var(--danger); }
.muted { color: var(--muted); font-size: .92rem; }
code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .95em; }
@media (max-width: 30rem) { body { padding: 1rem .75rem 1.5rem; } .card { padding: .75rem 1rem 1rem; } }
`;

/** Changes whenever the stylesheet does, so that browsers may keep it for a year. */
export const connectStylesheetVersion = createHash('sha256').update(connectStylesheet).digest('hex').slice(0, 12);

/** Where the stylesheet is served, under the site's basePath. */
export function stylesheetPath(basePath: string): string {
  return `${basePath}/assets/connect.css`;
}

import { createHash } from 'node:crypto';

// The one stylesheet and the one script Grantry's pages use, served by Grantry itself (no CDN, so
// pages work offline and the CSP can say 'self'). Their URLs carry a hash of their content, so a
// browser may cache them for a year and still gets a changed file at once.

export const stylesheet = `
:root { color-scheme: light; --fg: #111827; --bg: #ffffff; --panel: #f9fafb; --line: #d1d5db; --accent: #1d4ed8;
  --accent-fg: #ffffff; --muted: #4b5563; --danger: #b91c1c; --warn: #92400e; --warn-bg: #fffbeb; --ok-bg: #eff6ff; --focus: #f59e0b; }
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
  color: var(--fg); background: var(--bg); max-width: 46rem; margin: 0 auto; padding: 0 1rem 2rem; overflow-wrap: anywhere; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; justify-content: space-between; align-items: center;
  border-bottom: 1px solid var(--line); padding: .75rem 0; margin-bottom: 1.25rem; }
header.top .brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; color: var(--fg); }
header.top nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header.top .who { color: var(--muted); }
footer.bottom { border-top: 1px solid var(--line); margin-top: 2rem; padding-top: .75rem; }
nav.lang ul { list-style: none; display: flex; gap: 1rem; padding: 0; margin: 0; }
nav.lang [aria-current] { font-weight: 600; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
label { display: block; margin: .9rem 0 .25rem; font-weight: 600; }
label.inline { display: inline; font-weight: 400; margin: 0 0 0 .35rem; }
input[type=text], input[type=password], input[type=email], input[type=url], textarea, select {
  width: 100%; padding: .55rem .6rem; font: inherit; color: inherit; background: var(--bg); border: 1px solid #6b7280; border-radius: 6px; }
textarea { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .95rem; }
[aria-invalid=true] { border-color: var(--danger); border-width: 2px; }
.field-error { color: var(--danger); margin: .25rem 0 0; }
.hint { color: var(--muted); font-size: .92rem; margin: .25rem 0 0; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 1rem 0 0; padding: .5rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
.choice { margin: .6rem 0 0; }
.choice .hint { margin-left: 1.7rem; }
button, .button { font: inherit; display: inline-block; padding: .55rem 1.2rem; margin: 1rem .5rem 0 0; cursor: pointer; border-radius: 6px;
  border: 1px solid #6b7280; background: var(--panel); color: var(--fg); text-decoration: none; min-height: 2.75rem; }
button.primary, .button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
button.danger, .button.danger { color: var(--danger); border-color: var(--danger); background: var(--bg); }
header.top button { margin: 0; padding: .3rem .8rem; min-height: 0; }
form.inline { display: inline; }
.box { border: 1px solid var(--line); border-left-width: 4px; padding: .6rem 1rem; border-radius: 6px; margin: 1rem 0; }
.box > :first-child { margin-top: 0; } .box > :last-child { margin-bottom: 0; }
.error { border-color: var(--danger); color: var(--danger); }
.warning { border-color: #d97706; background: var(--warn-bg); }
.warning strong { color: var(--warn); }
.notice { border-color: var(--accent); background: var(--ok-bg); }
/* The operator's mark on the consent page: drawn by the page, never made of an app's or a user's words. */
.operator-badge { display: inline-block; padding: .1em .5em; border: 1px solid var(--accent); border-radius: .25em; background: var(--ok-bg); font-weight: 600; }
.operator-badge::before { content: "\\2713\\00a0"; }
.muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .95em; word-break: break-all; }
.key { display: inline-block; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: .1rem .4rem; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; vertical-align: top; padding: .45rem .4rem; border-bottom: 1px solid var(--line); }
dl.facts { display: grid; grid-template-columns: minmax(8rem, 12rem) 1fr; gap: .4rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin: 1rem 0; background: var(--bg); }
.card h2 { margin-top: 0; }
.scopes { padding-left: 1.25rem; } .scopes li { margin: .35rem 0; }
.destination { font-size: 1.15rem; font-weight: 600; }
.stats { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; padding: 0; }
.stats li { border: 1px solid var(--line); border-radius: 8px; padding: .5rem 1rem; min-width: 10rem; }
.stats .figure { display: block; font-size: 1.5rem; font-weight: 700; }
dialog.secret { position: static; display: block; border: 2px solid #d97706; border-radius: 10px; background: var(--warn-bg); color: var(--fg);
  padding: 1rem 1.25rem; margin: 1rem 0; max-width: 100%; }
dialog.secret:not([open]) { display: none; }
.secret-value { display: block; font-size: 1.05rem; padding: .5rem; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
.actions { display: flex; flex-wrap: wrap; align-items: center; }
@media (max-width: 30rem) {
  body { padding: 0 .75rem 1.5rem; }
  dl.facts { grid-template-columns: 1fr; gap: 0 0; } dl.facts dd { margin-bottom: .6rem; }
  table.apps thead { display: none; } table.apps tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.apps td { display: block; border: 0; padding: .1rem 0; }
  table.apps td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
`;

// Progressive enhancement only: every page works without it. Copy buttons (hidden until this
// runs), and hints on the callback-URL editor while typing; the server checks everything again.
export const script = `
(function () {
  'use strict';
  function ready(fn) { if (document.readyState !== 'loading') fn(); else document.addEventListener('DOMContentLoaded', fn); }
  ready(function () {
    document.querySelectorAll('button[data-copy]').forEach(function (button) {
      var target = document.getElementById(button.getAttribute('data-copy'));
      var status = document.getElementById(button.getAttribute('data-copy') + '-status');
      if (!target) return;
      button.hidden = false;
      button.addEventListener('click', function () {
        var text = target.textContent || '';
        var done = function (ok) { if (status) status.textContent = button.getAttribute(ok ? 'data-copied' : 'data-copy-failed') || ''; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(function () { done(true); }, function () { select(target); done(false); });
        } else { select(target); done(false); }
      });
    });
    var uris = document.getElementById('redirect_uris');
    var hint = document.getElementById('redirect_uris-live');
    if (uris && hint) {
      uris.addEventListener('input', function () {
        var bad = uris.value.split(/\\r?\\n/).map(function (l) { return l.trim(); }).filter(Boolean).filter(function (line) { return !plausible(line); });
        hint.textContent = bad.length ? (hint.getAttribute('data-message') || '').replace('{uri}', bad[0]) : '';
      });
    }
  });
  function select(node) {
    var range = document.createRange(); range.selectNodeContents(node);
    var selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
  }
  function plausible(line) {
    var url; try { url = new URL(line); } catch (e) { return false; }
    if (line.indexOf('#') >= 0 || url.username || url.password) return false;
    if (url.protocol === 'https:') return true;
    if (url.protocol === 'http:') return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\\.\\d{1,3}){3}$/.test(url.hostname);
    return /^[a-z][a-z0-9+.-]*\\.[a-z0-9+.-]+:$/.test(url.protocol);
  }
})();
`;

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

export const assetPaths = {
  css: `/assets/grantry.css?v=${version(stylesheet)}`,
  js: `/assets/grantry.js?v=${version(script)}`,
};

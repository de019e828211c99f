// Server-rendered pages: a tagged template that escapes every interpolated value unless it is
// already markup (`Html`), and one layout. No template engine; nothing to configure.

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => entities[char]!);
}

type Interpolation = Html | string | number | boolean | null | undefined | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof Html) return value.value;
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

const styles = `
  :root { color-scheme: light dark; --accent: #2563eb; --muted: #6b7280; --danger: #b91c1c; }
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
  header { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #8884; margin-bottom: 1.5rem; }
  header a { text-decoration: none; font-weight: 600; }
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
  input[type=text], input[type=password], input[type=email], input[type=url], textarea, select { width: 100%; padding: .5rem; box-sizing: border-box; font: inherit; }
  button { font: inherit; padding: .5rem 1.25rem; margin: .75rem .5rem 0 0; cursor: pointer; }
  button.primary { background: var(--accent); color: white; border: 0; border-radius: 4px; }
  .error { color: var(--danger); border: 1px solid var(--danger); padding: .5rem 1rem; border-radius: 4px; }
  .warning { border: 1px solid #d97706; padding: .5rem 1rem; border-radius: 4px; }
  .notice { border: 1px solid var(--accent); padding: .5rem 1rem; border-radius: 4px; }
  .muted { color: var(--muted); }
  code, .secret { font-family: ui-monospace, monospace; word-break: break-all; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .4rem; border-bottom: 1px solid #8883; }
  form.inline { display: inline; }
`;

export function layout(options: { title: string; user?: { username: string } | null; csrf?: string; body: Html }): string {
  const { title, user, body, csrf } = options;
  return `<!doctype html>${html`<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Grantry</title><style>${new Html(styles)}</style></head>
<body>
<header><a href="/">Grantry</a>
<nav>${
    user
      ? html`<a href="/console">Developer console</a> · <a href="/account/apps">Connected apps</a> · ${user.username}
        <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrf ?? ''}"><button type="submit">Log out</button></form>`
      : html`<a href="/login">Log in</a>`
  }</nav></header>
<main>
<h1>${title}</h1>
${body}
</main>
</body></html>`}`;
}

// ── shared by the people-facing pages (login, console, connected apps) ─────────────────────

/** The hidden field every form carries; session.ts checks it on the way back. */
export const csrfField = (token: string) => html`<input type="hidden" name="csrf_token" value="${token}">`;

/** Seconds since the epoch as a date people read the same way anywhere: `2026-11-25 09:30 UTC`. */
export function formatDate(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A page that only says something: a refused form, a missing app. */
export function messagePage(options: { title: string; message: string; user?: { username: string } | null; csrf?: string }): string {
  return layout({ ...options, body: html`<p>${options.message}</p><p><a href="/">Back to the start page</a></p>` });
}

// Reading forms back. A form body is whatever the sender made of it: a field may be missing,
// repeated (an array) or, from a JSON body, not a string at all. These never throw.

/** A field as one string: '' when absent or not a string; NUL (which PostgreSQL refuses in text) made harmless. */
export function formText(body: unknown, name: string): string {
  const value = fieldOf(body, name);
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' ? text.replace(/\0/g, '\uFFFD') : '';
}

/** Every string value of a field (checkbox groups). */
export function formList(body: unknown, name: string): string[] {
  const value = fieldOf(body, name);
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A checkbox: present and not empty means on. */
export const formFlag = (body: unknown, name: string) => formText(body, name) !== '';

/** The lines of a textarea, trimmed, without blank ones. */
export const formLines = (body: unknown, name: string) =>
  formText(body, name).split(/\r?\n/).map((line) => line.trim()).filter(Boolean);

function fieldOf(body: unknown, name: string): unknown {
  return body && typeof body === 'object' && Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : undefined;
}

// The framework-agnostic shapes: what an adapter hands the core and what it gets back.

export interface ConnectRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, string | undefined>;
  /** A parsed form or JSON body. */
  body: Record<string, unknown> | undefined;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /**
   * The client's address, as the framework tells it (behind a proxy, as its trust-proxy setting
   * lets it): what the per-address limits of logins and sign-ups count. Without one they are not applied.
   */
  address?: string;
}

export interface ConnectResponse {
  status: number;
  headers: Record<string, string>;
  /** Set-Cookie values, each one whole. */
  cookies: string[];
  body: string;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    const name = part.slice(0, index).trim();
    if (name && !(name in cookies)) {
      try {
        cookies[name] = decodeURIComponent(part.slice(index + 1).trim());
      } catch {
        // A cookie we cannot decode is not one of ours.
      }
    }
  }
  return cookies;
}

export function serializeCookie(name: string, value: string, options: { maxAge: number; secure: boolean; path?: string }): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? '/'}`, `Max-Age=${options.maxAge}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the pages'
// own form posts (the binding page's), which the cross-site check must then refuse. Other sites
// still get no Referer, so a callback address with its code never leaves the site.
const baseHeaders = { 'cache-control': 'no-store', 'referrer-policy': 'same-origin' };

export function redirect(location: string, cookies: string[] = []): ConnectResponse {
  return { status: 303, headers: { ...baseHeaders, location }, cookies, body: '' };
}

export function html(status: number, body: string, cookies: string[] = []): ConnectResponse {
  return { status, headers: { ...baseHeaders, 'content-type': 'text/html; charset=utf-8' }, cookies, body };
}

/** Connect's stylesheet: its URL carries a hash of its content, so browsers may keep it for a year. */
export function stylesheet(body: string): ConnectResponse {
  return { status: 200, headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' }, cookies: [], body };
}

export function json(status: number, data: unknown, cookies: string[] = []): ConnectResponse {
  return { status, headers: { ...baseHeaders, 'content-type': 'application/json; charset=utf-8' }, cookies, body: JSON.stringify(data) };
}

const bodyLimit = 64 * 1024;

/** Reads a form or JSON body from a Node stream, for frameworks that did not parse it already. */
export async function readBody(stream: AsyncIterable<Buffer | string>, contentType: string | undefined): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > bodyLimit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(buffer);
  }
  return parseBodyText(Buffer.concat(chunks).toString('utf8'), contentType);
}

export function parseBodyText(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  if (/^application\/json\b/i.test(contentType ?? '')) {
    try {
      const parsed = JSON.parse(text || '{}') as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) return Object.fromEntries(new URLSearchParams(text));
  return undefined;
}

/** Node's headers, as the core wants them: lower-case names, one string each. */
export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

export function splitUrl(url: string): { path: string; query: Record<string, string | undefined> } {
  const parsed = new URL(url, 'http://site.invalid');
  return { path: parsed.pathname, query: Object.fromEntries(parsed.searchParams) };
}

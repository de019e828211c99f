import { ConnectError, ProviderError } from './errors.ts';

// The shared HTTP layer. Providers answer in JSON (sometimes labelled text/plain), in form
// encoding (QQ's token endpoint) or in JSONP (QQ's /me); every answer is read the same way and
// checked for each provider's way of saying "error", which may come with HTTP 200 (GitHub, WeChat).

const timeoutMs = 10_000;
const userAgent = 'grantry-connect/0.1';

export type Body = Record<string, unknown>;

/**
 * Reads a body whatever the Content-Type claims: JSON, a JSONP callback, or form encoding. A JSON
 * array (GitHub's /user/emails) comes back as `{ items: [...] }`.
 */
export function parseBody(text: string): Body {
  const trimmed = text.trim();
  const jsonp = /^callback\(\s*([\s\S]*?)\s*\);?$/.exec(trimmed);
  const candidate = jsonp ? jsonp[1]! : trimmed;
  if (candidate.startsWith('{') || candidate.startsWith('[')) {
    try {
      const parsed = JSON.parse(candidate) as unknown;
      return Array.isArray(parsed) ? { items: parsed } : (parsed as Body);
    } catch {
      throw new ConnectError('invalid_response', 'the provider answered with malformed JSON');
    }
  }
  if (/^[\w.-]+=/.test(candidate)) return Object.fromEntries(new URLSearchParams(candidate));
  throw new ConnectError('invalid_response', 'the provider answered with neither JSON nor a form');
}

/** Throws the provider's error, however this provider spells it; `endpoint` is the URL that answered, for the site's log. */
export function checkProviderError(body: Body, status: number, endpoint?: string): void {
  const field = (name: string) => (body[name] === undefined || body[name] === null ? undefined : String(body[name]));
  const where = endpoint === undefined ? undefined : loggableUrl(endpoint);
  if (field('error')) throw new ProviderError(field('error')!, field('error_description') ?? field('msg'), status, where);
  if (field('errcode') && field('errcode') !== '0') throw new ProviderError(field('errcode')!, field('errmsg'), status, where);
  if (field('error_code')) throw new ProviderError(field('error_code')!, field('error'), status, where);
  if (field('ret') && field('ret') !== '0') throw new ProviderError(field('ret')!, field('msg'), status, where);
  if (status >= 400) throw new ProviderError('http_error', `HTTP ${status}`, status, where);
}

/**
 * A URL as it may be logged: no query, fragment or user info. WeChat's and QQ's calls carry the
 * app secret, the code or the access token in the query.
 */
export function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

export async function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: URLSearchParams } = {}): Promise<Body> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', 'user-agent': userAgent, ...init.headers },
      body: init.body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new ConnectError('unreachable', `${new URL(url).origin} could not be reached: ${(error as Error).message}`);
  }
  const body = parseBody(await response.text());
  checkProviderError(body, response.status, url);
  return body;
}

export function getJson(url: string | URL, headers: Record<string, string> = {}): Promise<Body> {
  return request(String(url), { headers });
}

/** A required string field: a missing or empty one is the provider's fault, said plainly. */
export function requireString(body: Body, name: string, what = 'the response'): string {
  const value = body[name];
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '') throw new ConnectError('invalid_response', `${what} has no ${name}`);
  return value;
}

export function optionalString(body: Body, name: string): string | null {
  const value = body[name];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : null;
}

// A small browser stand-in for tests: fetch with a cookie jar and no automatic redirects, so that
// each step of a flow (redirect, page, form post) can be asserted on its own.

export interface BrowserResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
  json<T = any>(): T;
}

export class TestBrowser {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  async request(method: string, path: string, options: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<BrowserResponse> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { ...options.headers };
    const cookieHeader = this.cookieHeader();
    if (cookieHeader) headers.cookie = cookieHeader;
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) this.storeCookie(cookie);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: response.headers.get('location'),
      json: () => JSON.parse(text),
    };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.request('POST', path, { form, headers });
  }

  /** Logs in through the login page, as a person would. */
  async login(username: string, password: string): Promise<BrowserResponse> {
    const page = await this.get('/login');
    return this.post('/login', { username, password, csrf_token: csrfFrom(page.text) });
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private storeCookie(header: string): void {
    const [pair, ...attributes] = header.split(';');
    const index = pair!.indexOf('=');
    const name = pair!.slice(0, index).trim();
    const value = pair!.slice(index + 1).trim();
    const expired = attributes.some((a) => /max-age=0/i.test(a.trim()) || /expires=Thu, 01 Jan 1970/i.test(a.trim()));
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/** The CSRF token of the first form on a page. */
export function csrfFrom(page: string): string {
  const match = /name="csrf_token" value="([^"]+)"/.exec(page);
  if (!match) throw new Error(`no csrf_token on the page:\n${page.slice(0, 500)}`);
  return match[1]!;
}

/** The value of a hidden or text input on a page. */
export function inputValue(page: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** The hidden fields of a page's forms, decoded, as the browser would send them back. */
export function hiddenFields(page: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1]!] = match[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  }
  return fields;
}

/** What the consent page's form sends for a decision: its hidden fields (the CSRF token and the request's id) and the button. */
export function consentDecision(page: string, decision: 'allow' | 'deny'): Record<string, string> {
  const fields = hiddenFields(page);
  if (!fields.request_id) throw new Error(`no consent form on the page:\n${page.slice(0, 500)}`);
  return { ...fields, decision };
}

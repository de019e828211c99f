// Types for ./browser.js, which is served to browsers as it is.

export interface BrowserEnv {
  location: { hash: string; search: string; pathname: string; assign(url: string): void };
  history: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };
  crypto?: { getRandomValues<T extends ArrayBufferView>(array: T): T };
  fetch?: typeof fetch;
}

export interface ImplicitResponse {
  accessToken: string;
  tokenType: string;
  expiresAt: number | null;
  scope: string | null;
}

export function startImplicitLogin(options: { authorizationEndpoint: string; clientId: string; redirectUri: string; scope?: string; env?: BrowserEnv }): void;
export function readImplicitResponse(options?: { env?: BrowserEnv }): ImplicitResponse | null;
export function startLogin(apiBase: string, provider: string, options?: { returnTo?: string; env?: BrowserEnv }): Promise<void>;
export function completeLogin(apiBase: string, options?: { env?: BrowserEnv }): Promise<Record<string, unknown>>;
export function finishWithTicket(apiBase: string, action: 'register' | 'bind', fields: Record<string, string>, options?: { env?: BrowserEnv }): Promise<Record<string, unknown>>;
export function renew(apiBase: string, options?: { env?: BrowserEnv }): Promise<Record<string, unknown>>;

import { createServer } from 'node:http';
import { randomToken, s256 } from '../../lib/crypto.ts';
import { loadSettings, UsageError, type CommonFlags } from '../settings.ts';

// grantry token …: performs each grant against a running provider and prints the token response,
// for people testing their setup. The provider is found through its metadata (RFC 8414).

export const tokenOptions = {
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  scope: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'refresh-token': { type: 'string' },
  'callback-port': { type: 'string' },
  'redirect-uri': { type: 'string' },
  timeout: { type: 'string' },
} as const;

interface TokenFlags extends CommonFlags {
  'client-id'?: string;
  'client-secret'?: string;
  scope?: string;
  username?: string;
  password?: string;
  'refresh-token'?: string;
  'callback-port'?: string;
  'redirect-uri'?: string;
  timeout?: string;
}

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

/**
 * The provider to talk to: the issuer the configuration names — --issuer, GRANTRY_ISSUER, the
 * configuration file, else http://localhost: and the configured port — the one `grantry start`
 * run with the same settings answers as.
 */
async function discover(flags: TokenFlags): Promise<Metadata> {
  const issuer = loadSettings(flags).config.issuer;
  const response = await fetch(`${issuer}/.well-known/oauth-authorization-server`).catch((error: Error) => {
    throw new UsageError(`cannot reach the provider at ${issuer}: ${error.message}; is it running? (--issuer URL)`);
  });
  if (!response.ok) throw new UsageError(`${issuer} serves no OAuth metadata (HTTP ${response.status})`);
  const metadata = (await response.json()) as Metadata;
  if (metadata.issuer !== issuer) throw new UsageError(`the metadata names the issuer ${metadata.issuer}, not ${issuer}`);
  return metadata;
}

function required(flags: TokenFlags, name: keyof TokenFlags): string {
  const value = flags[name];
  if (!value) throw new UsageError(`this grant needs --${name}`);
  return value;
}

/** Posts to the token endpoint, authenticating with client_secret_basic when there is a secret. */
async function requestToken(metadata: Metadata, flags: TokenFlags, params: Record<string, string | undefined>): Promise<void> {
  const clientId = required(flags, 'client-id');
  const secret = flags['client-secret'];
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) body.set(name, value);
  if (secret) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  } else {
    body.set('client_id', clientId);
  }
  const response = await fetch(metadata.token_endpoint, { method: 'POST', headers, body });
  const text = await response.text();
  process.stdout.write(`${text}\n`);
  if (!response.ok) throw new UsageError(`the token endpoint answered HTTP ${response.status}`);
}

export async function tokenClientCredentials(flags: TokenFlags): Promise<void> {
  required(flags, 'client-secret');
  await requestToken(await discover(flags), flags, { grant_type: 'client_credentials', scope: flags.scope });
}

export async function tokenPassword(flags: TokenFlags): Promise<void> {
  await requestToken(await discover(flags), flags, {
    grant_type: 'password',
    username: required(flags, 'username'),
    password: required(flags, 'password'),
    scope: flags.scope,
  });
}

export async function tokenRefresh(flags: TokenFlags): Promise<void> {
  await requestToken(await discover(flags), flags, { grant_type: 'refresh_token', refresh_token: required(flags, 'refresh-token'), scope: flags.scope });
}

/**
 * The authorization-code grant from a terminal: prints the authorize URL, waits on a loopback
 * port for the browser to come back (checking state), and exchanges the code with its PKCE
 * verifier. The app needs the redirect URI http://127.0.0.1/callback (a native app may use any
 * port on it) or the one given with --redirect-uri.
 */
export async function tokenCode(flags: TokenFlags): Promise<void> {
  const metadata = await discover(flags);
  const clientId = required(flags, 'client-id');
  const verifier = randomToken(32);
  const state = randomToken(16);
  const port = Number(flags['callback-port'] ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--callback-port takes a port number, not "${flags['callback-port']}"`);
  const timeoutSeconds = Number(flags.timeout ?? 300);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout takes a number of seconds, not "${flags.timeout}"`);

  const { code, redirectUri } = await new Promise<{ code: string; redirectUri: string }>((resolve, reject) => {
    let redirectUri = '';
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', redirectUri);
      if (url.pathname !== new URL(redirectUri).pathname) {
        response.writeHead(404).end();
        return;
      }
      const finish = (status: number, message: string, outcome: () => void) => {
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
        clearTimeout(timer);
        server.close();
        outcome();
      };
      const params = url.searchParams;
      if (params.get('state') !== state) return finish(400, 'The state does not match: this is not the answer to our request.', () => reject(new UsageError('the callback came back with another state')));
      if (params.get('iss') && params.get('iss') !== metadata.issuer) return finish(400, 'The answer names another issuer.', () => reject(new UsageError(`the callback names the issuer ${params.get('iss')}`)));
      const error = params.get('error');
      if (error) return finish(400, `The provider said: ${error}`, () => reject(new UsageError(`authorization failed: ${error}: ${params.get('error_description') ?? ''}`)));
      const code = params.get('code');
      if (!code) return finish(400, 'No code came back.', () => reject(new UsageError('the callback carried no code')));
      finish(200, 'Grantry: the code arrived; you can close this window.', () => resolve({ code, redirectUri }));
    });
    const timer = setTimeout(() => {
      server.close();
      reject(new UsageError(`no answer came back within ${timeoutSeconds} seconds`));
    }, timeoutSeconds * 1000);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      server.close();
      reject(error);
    };
    server.on('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'EADDRINUSE' ? new UsageError(`port ${port} on 127.0.0.1 is in use: choose another --callback-port (or leave it out)`) : error),
    );
    server.listen(port, '127.0.0.1', () => {
      const actualPort = (server.address() as { port: number }).port;
      redirectUri = flags['redirect-uri'] ?? `http://127.0.0.1:${actualPort}/callback`;
      const authorize = new URL(metadata.authorization_endpoint);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: flags.scope ?? 'profile',
        state,
        code_challenge: s256(verifier),
        code_challenge_method: 'S256',
      }).toString();
      process.stderr.write(
        `The app must have the callback URL ${redirectUri} registered` +
          `${flags['redirect-uri'] ? '' : ' (a native app registered with http://127.0.0.1/callback may use any port)'}.\n`,
      );
      preflight(authorize, clientId, redirectUri).then(
        () => process.stderr.write(`Open this URL in a browser, log in and allow (waiting ${timeoutSeconds} s, --timeout SECONDS):\n${authorize}\n`),
        fail,
      );
    });
  });
  await requestToken(metadata, flags, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
}

/**
 * Sends the authorization request once without a browser, before anyone is asked to open it: a
 * callback URL the app does not have, an unknown client_id, or a grant or scope the app may not
 * use is said at once, instead of on a page in the browser while this command waits. A valid
 * request answers with the way to the login page (its stored copy expires unused).
 */
async function preflight(authorize: URL, clientId: string, redirectUri: string): Promise<void> {
  const response = await fetch(authorize, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location) {
    await response.body?.cancel();
    const to = new URL(location, authorize);
    const error = to.searchParams.get('error');
    // Back to the callback with an error: the app may not ask for this (unauthorized_client, invalid_scope, …).
    if (error && to.href.startsWith(redirectUri)) throw new UsageError(`the provider refused the request: ${error}: ${to.searchParams.get('error_description') ?? ''}`);
    return;
  }
  const reason = /data-reason="([a-z_]+)"/.exec(await response.text())?.[1];
  if (reason === 'redirect_uri_mismatch') {
    throw new UsageError(
      `the app ${clientId} does not have the callback URL ${redirectUri}. Register it, e.g. ` +
        `grantry client update ${clientId} --add-redirect-uri ${redirectUri} (a native app: http://127.0.0.1/callback, any port), ` +
        'or pass a --redirect-uri or --callback-port it has',
    );
  }
  if (reason === 'client_unknown') throw new UsageError(`no app has the client_id ${clientId} at ${authorize.origin}`);
  throw new UsageError(`the provider refused the request (HTTP ${response.status}${reason ? `, ${reason}` : ''})`);
}

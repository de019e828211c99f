import { ConnectError, ProviderError } from './client/errors.ts';
import { loggableUrl } from './client/http.ts';

// What Connect tells the site's developer when a login fails through no fault of the visitor: the
// visitor's page says "Grantry refused the login (invalid_client)", and the log says which call,
// which endpoint, which status and what the provider said. Never a secret, a code, a verifier or a
// token: only the provider's error, the endpoint's URL without its query, and our own messages.

/**
 * Where Connect writes warnings: pino and Fastify's logger (`warn(details, message)`), or console.
 * The message is complete in itself, for loggers that print only it; `details` holds the same as fields.
 */
export interface ConnectLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/** The default: one line on stderr, so that a site that configured no logger still sees it. */
export const stderrLogger: ConnectLogger = {
  warn(_details, message) {
    process.stderr.write(`grantry/connect warning: ${message}\n`);
  },
};

/** What of a provider a log line may name. */
export interface LoggedProvider {
  id: string;
  name: string;
  tokenEndpoint?: string;
  clientSecret?: string;
}

/** A provider's words in one line of bounded length, with the site's own secret blotted out should the provider echo it. */
function clean(value: string, provider: LoggedProvider): string {
  let text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (provider.clientSecret && provider.clientSecret.length >= 4) text = text.split(provider.clientSecret).join('[secret]');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Logs a login that failed at or because of the provider (not the visitor): the provider's error, or our check that failed. */
export function logLoginFailure(logger: ConnectLogger, error: unknown, provider: LoggedProvider): void {
  const who = `${provider.name} (${provider.id})`;
  if (error instanceof ProviderError) {
    const endpoint = error.endpoint ?? '(unknown endpoint)';
    const atToken = provider.tokenEndpoint !== undefined && error.endpoint === loggableUrl(provider.tokenEndpoint);
    const description = error.description === undefined ? undefined : clean(error.description, provider);
    const code = clean(error.code, provider);
    const hint = code === 'invalid_client' ? `; check the client id and client secret this site is given for ${provider.name}` : '';
    logger.warn(
      {
        event: 'connect_provider_error',
        provider: provider.id,
        providerName: provider.name,
        request: atToken ? 'token' : 'other',
        error: code,
        error_description: description,
        status: error.status,
        endpoint,
      },
      `${who} refused the ${atToken ? 'token request' : 'request'} at ${endpoint}: HTTP ${error.status}, error ${code}${description ? ` (${description})` : ''}${hint}`,
    );
    return;
  }
  if (error instanceof ConnectError) {
    const detail = clean(error.message, provider);
    logger.warn(
      { event: 'connect_login_failed', provider: provider.id, providerName: provider.name, error: error.code, detail },
      `logging in with ${who} failed: ${error.code}: ${detail}`,
    );
  }
}

/** Revoking a site's tokens is best effort (the binding is gone either way); a failure is still worth a line. */
export function logRevocationFailure(logger: ConnectLogger, error: unknown, provider: LoggedProvider): void {
  const detail = clean(error instanceof Error ? error.message : String(error), provider);
  logger.warn({ event: 'connect_revocation_failed', provider: provider.id, providerName: provider.name, detail }, `revoking this site's tokens at ${provider.name} (${provider.id}) failed: ${detail}`);
}

/** A logger as a site may give it: anything with a warn function. */
export function isLogger(value: unknown): value is ConnectLogger {
  return typeof value === 'object' && value !== null && typeof (value as { warn?: unknown }).warn === 'function';
}

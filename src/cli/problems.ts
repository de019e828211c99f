import { SealedUnderAnotherSecretError } from '../provider/protocol/tokens/keys.ts';
import { DatabaseMissingError, redactUrl } from '../store/index.ts';

// What goes wrong around a command rather than in it — a port taken, a database out of reach or
// refusing, a secret that does not open the keys — said in one line that names the setting to
// change. The stack trace of such a failure says nothing the operator can act on.

/** A failure the operator fixes in the environment or the settings: printed as its message alone, exit code 1. */
export class EnvironmentProblem extends Error {}

const databaseSetting = '--database-url (or GRANTRY_DATABASE_URL)';

/** Where a database URL points, without its password: host and port, or the SQLite file. */
function databaseShown(url: string): string {
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

/** The one line for a failure to open or read the store at `url`; undefined for a failure of another kind. */
export function databaseProblem(error: unknown, url: string, command: string): EnvironmentProblem | undefined {
  const where = databaseShown(url);
  if (error instanceof DatabaseMissingError) {
    return new EnvironmentProblem(
      error.missing === 'file'
        ? `there is no database at ${error.path}: check ${databaseSetting}${command === 'start' ? '' : ', or run grantry start once to make it'}`
        : `the directory for ${error.path} does not exist: create it, or point ${databaseSetting} elsewhere`,
    );
  }
  const code = errorCode(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new EnvironmentProblem(`cannot reach PostgreSQL at ${where} (${code}): is it running there? Check ${databaseSetting}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new EnvironmentProblem(`the database host of ${where} is not known (${code}): check ${databaseSetting}`);
    // PostgreSQL's own refusals (SQLSTATE): no such role, no such database, a wrong password, no permission.
    case '28000':
    case '28P01':
    case '3D000':
    case '42501':
      return new EnvironmentProblem(`PostgreSQL at ${where} refused: ${message}. Check ${databaseSetting}`);
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
    case 'SQLITE_NOTADB':
    case 'EACCES':
    case 'ENOTDIR':
      return url.startsWith('sqlite:') ? new EnvironmentProblem(`cannot use the SQLite database ${where}: ${message}. Check ${databaseSetting}`) : undefined;
    default:
      return undefined;
  }
}

/** The one line for a server that could not listen where it was told to; undefined for any other failure. */
export function listenProblem(error: unknown, setting: { port: string; host: string }): EnvironmentProblem | undefined {
  const { address, port } = error as { address?: string; port?: number };
  const at = `${address ?? '?'}:${port ?? '?'}`;
  switch (errorCode(error)) {
    case 'EADDRINUSE':
      return new EnvironmentProblem(`${at} is already in use by another program: choose another port with ${setting.port}`);
    case 'EACCES':
      return new EnvironmentProblem(`this user may not listen on ${at}: choose a port above 1023 with ${setting.port}`);
    case 'EADDRNOTAVAIL':
      return new EnvironmentProblem(`${address ?? 'the host'} is not an address of this machine: check ${setting.host}`);
    default:
      return undefined;
  }
}

/** The one line for signing keys that this secret cannot open. */
export function secretProblem(error: unknown, source: 'environment' | 'file', otherSecretFile: string | undefined): EnvironmentProblem | undefined {
  if (!(error instanceof SealedUnderAnotherSecretError)) return undefined;
  const from = source === 'environment' ? 'GRANTRY_SECRET' : 'the secret in ./data/secret';
  const hint = otherSecretFile ? ` (${otherSecretFile} holds another secret: perhaps theirs)` : '';
  return new EnvironmentProblem(
    `the signing keys in the database were sealed under another secret than ${from}${hint}. ` +
      'Start with the secret they were made with, or re-seal them under this one: grantry keys reseal --old-secret-file FILE',
  );
}

/** An error's code, also when Node wraps several attempts (every address of a host name) in an AggregateError. */
function errorCode(error: unknown): string | undefined {
  const value = error as { code?: unknown; errors?: unknown[] } | undefined;
  if (typeof value?.code === 'string') return value.code;
  const first = value?.errors?.[0] as { code?: unknown } | undefined;
  return typeof first?.code === 'string' ? first.code : undefined;
}

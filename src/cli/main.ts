import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config.ts';
import { DatabaseUrlError } from '../store/index.ts';
import { audit, auditOptions } from './commands/audit.ts';
import { showConfig } from './commands/config.ts';
import { clientCreate, clientDelete, clientList, clientOptions, clientRotateSecret, clientUpdate } from './commands/client.ts';
import { keysList, keysOptions, keysReseal, keysReset, keysRotate } from './commands/keys.ts';
import { start, startOptions } from './commands/start.ts';
import { tokenClientCredentials, tokenCode, tokenOptions, tokenPassword, tokenRefresh } from './commands/token.ts';
import { resourceCreate, resourceList, resourceOptions, resourceUpdate } from './commands/resource.ts';
import { registrationTokenCreate, registrationTokenList, registrationTokenOptions, registrationTokenRevoke } from './commands/registration.ts';
import { userClaims, userClaimsOptions, userCreate, userOptions } from './commands/user.ts';
import { EnvironmentProblem } from './problems.ts';
import { UsageError } from './settings.ts';

const commonOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  issuer: { type: 'string' },
  'database-url': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const usage = `grantry — an OAuth 2.0 provider

  grantry start [--port 3000] [--host 127.0.0.1] [--issuer URL] [--database-url URL] [--demo [--demo-port 4000]]
  grantry user create --username U --password P [--email E] [--display-name N]
  grantry user claims USERNAME [--set NAME=VALUE]… [--unset NAME]…   what OpenID Connect may say of the person
                        (phone_number, address.locality, given_name, …; shown by scope: profile, address, phone)
  grantry client create --name N --type web|spa|native|service [--redirect-uri URI]… [--scope S]…
                        [--grant TYPE]… [--no-pkce] [--trusted] [--token-format jwt|opaque] [--owner USERNAME]
                        [--id-token-alg RS256|EdDSA]   how its ID tokens are signed (default RS256)
                        [--post-logout-redirect-uri URI]…   where logging out through the app may return
                        [--backchannel-logout-uri URI]   where Grantry POSTs a logout token when a user logs out
                        [--subject-type public|pairwise] [--sector-identifier HOST]   how the app's users are named to it
                        [--silent-returning]   a public app allowed before skips the one-click confirmation
  grantry client update CLIENT_ID [the options of create] [--pkce] [--no-trusted] [--no-silent-returning]
                        [--add-grant TYPE]… [--remove-grant TYPE]… [--add-redirect-uri URI]… [--remove-redirect-uri URI]…
                        (--grant and --redirect-uri replace the whole list; the result is printed)
  grantry client rotate-secret CLIENT_ID
  grantry client delete CLIENT_ID --yes   the app and every token issued to it
  grantry client list
  grantry resource create --uri URI --name N [--scope S]… [--access-token-lifetime SECONDS] [--token-format jwt|opaque]
                        an API tokens may be issued for (RFC 8707: resource=URI; its scopes, its tokens' lifetime and
                        format: opaque tokens, which the API verifies through introspection, if any API of a token asks)
  grantry resource update ID [the options of create]   (--scope replaces the list)
  grantry resource list
  grantry registration token create [--uses N] [--expires-in SECONDS]
                        an initial access token, printed once, for registration.mode "token" (RFC 7591)
  grantry registration token list
  grantry registration token revoke ID
  grantry keys rotate [--publish-for SECONDS]
  grantry keys list
  grantry keys reseal --old-secret-file FILE   re-seal the signing keys under the current GRANTRY_SECRET
  grantry keys reset --yes       replace keys no secret at hand opens (their access tokens stop working)
  grantry token client-credentials --client-id ID --client-secret S [--scope S] [--issuer URL]
  grantry token password --client-id ID [--client-secret S] --username U --password P [--scope S]
  grantry token refresh --client-id ID [--client-secret S] --refresh-token T [--scope S]
  grantry token code --client-id ID [--client-secret S] [--scope S] [--callback-port N | --redirect-uri URI]
                     [--timeout SECONDS]   how long to wait for the browser (default 300)
  grantry audit [--client ID] [--user USER_ID] [--event NAME] [--limit N]
  grantry config                 the effective configuration as JSON, secrets masked

Every command that touches data takes --database-url (or GRANTRY_DATABASE_URL): sqlite:PATH
(default sqlite:./data/grantry.sqlite) or postgres://user@host:5432/database. --json prints JSON.
Commands that talk to a running provider take --issuer (or GRANTRY_ISSUER; default: the configured
issuer, http://localhost:PORT). --demo runs the demo website on --demo-port (or GRANTRY_DEMO_PORT, 4000).
With npm start, flags go after a double dash: npm start -- --port 3100.
Other settings: GRANTRY_SECRET, GRANTRY_CONFIG or --config (a JSON file), and a GRANTRY_* variable
for every setting (GRANTRY_PORT, GRANTRY_LIFETIMES__ACCESS_TOKEN, …; see the README).`;

type Handler = (positionals: string[], values: Record<string, any>) => Promise<void>;

const commands: Record<string, { options: Record<string, unknown>; run: Handler }> = {
  start: { options: startOptions, run: (p, v) => start(v, p) },
  'user create': { options: userOptions, run: (_, v) => userCreate(v) },
  'user claims': { options: userClaimsOptions, run: (p, v) => userClaims(p[0], v) },
  'client create': { options: clientOptions, run: (_, v) => clientCreate(v) },
  'client update': { options: clientOptions, run: (p, v) => clientUpdate(p[0], v) },
  'client rotate-secret': { options: {}, run: (p, v) => clientRotateSecret(p[0], v) },
  'client delete': { options: { yes: { type: 'boolean' } }, run: (p, v) => clientDelete(p[0], v) },
  'client list': { options: {}, run: (_, v) => clientList(v) },
  'resource create': { options: resourceOptions, run: (_, v) => resourceCreate(v) },
  'resource list': { options: {}, run: (_, v) => resourceList(v) },
  'resource update': { options: resourceOptions, run: (p, v) => resourceUpdate(p[0], v) },
  'registration token create': { options: registrationTokenOptions, run: (_, v) => registrationTokenCreate(v) },
  'registration token list': { options: {}, run: (_, v) => registrationTokenList(v) },
  'registration token revoke': { options: {}, run: (p, v) => registrationTokenRevoke(p[0], v) },
  'keys rotate': { options: keysOptions, run: (_, v) => keysRotate(v) },
  'keys list': { options: {}, run: (_, v) => keysList(v) },
  'keys reseal': { options: keysOptions, run: (_, v) => keysReseal(v) },
  'keys reset': { options: keysOptions, run: (_, v) => keysReset(v) },
  'token client-credentials': { options: tokenOptions, run: (_, v) => tokenClientCredentials(v) },
  'token password': { options: tokenOptions, run: (_, v) => tokenPassword(v) },
  'token refresh': { options: tokenOptions, run: (_, v) => tokenRefresh(v) },
  'token code': { options: tokenOptions, run: (_, v) => tokenCode(v) },
  audit: { options: auditOptions, run: (_, v) => audit(v) },
  config: { options: {}, run: (_, v) => showConfig(v) },
};

function findCommand(args: string[]): { name: string; rest: string[] } | undefined {
  for (const words of [3, 2, 1]) {
    const name = args.slice(0, words).join(' ');
    if (commands[name]) return { name, rest: args.slice(words) };
  }
  return undefined;
}

/** The words of an unknown command, as typed: `client foo` when `client` is known but `foo` is not. */
function unknownCommand(args: string[]): string {
  const words = args.filter((arg) => !arg.startsWith('-')).slice(0, 3);
  // As many words as begin a known command, and the first that does not (`registration token foo`).
  let known = 0;
  while (known < words.length && Object.keys(commands).some((name) => `${name} `.startsWith(`${words.slice(0, known + 1).join(' ')} `))) known++;
  return words.slice(0, Math.min(known + 1, words.length)).join(' ') || args[0]!;
}

export async function main(args: string[]): Promise<number> {
  const found = findCommand(args);
  if (!found) {
    if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    // Usage goes to stderr here: stdout stays clean for whatever reads it.
    process.stderr.write(`grantry: unknown command: ${unknownCommand(args)}\n\n${usage}\n`);
    return 2;
  }
  const command = commands[found.name]!;
  try {
    const { values, positionals } = parseArgs({
      args: found.rest,
      options: { ...commonOptions, ...command.options } as any,
      allowPositionals: true,
      strict: true,
    });
    if ((values as Record<string, unknown>).help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    await command.run(positionals, values);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof DatabaseUrlError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`grantry ${found.name}: ${(error as Error).message}\n`);
      return 2;
    }
    if (error instanceof EnvironmentProblem) {
      process.stderr.write(`grantry ${found.name}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`grantry ${found.name} failed: ${(error as Error).stack ?? error}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// `start` keeps running; every other command ends here.
if (code !== 0 || findCommand(process.argv.slice(2))?.name !== 'start') process.exit(code);

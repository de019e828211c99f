import { appTypes, type AppType, type GrantType, type TokenFormat } from '../../config/defaults.ts';
import { grantModules } from '../../provider/protocol/grants/index.ts';
import { deleteClient, idTokenAlgorithms, registerClient, RegistrationError, rotateClientSecret, subjectTypes, updateClient } from '../../provider/protocol/clients.ts';
import { sectorOf } from '../../provider/protocol/subject.ts';
import type { Client, ClientPatch, IdTokenAlgorithm, SubjectType } from '../../provider/storage.ts';
import { print } from '../output.ts';
import { UsageError, type CommonFlags } from '../settings.ts';
import { withStore } from './with-store.ts';

export const clientOptions = {
  name: { type: 'string' },
  type: { type: 'string' },
  description: { type: 'string' },
  homepage: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  grant: { type: 'string', multiple: true },
  'add-grant': { type: 'string', multiple: true },
  'remove-grant': { type: 'string', multiple: true },
  'add-redirect-uri': { type: 'string', multiple: true },
  'remove-redirect-uri': { type: 'string', multiple: true },
  'no-pkce': { type: 'boolean' },
  pkce: { type: 'boolean' },
  trusted: { type: 'boolean' },
  'no-trusted': { type: 'boolean' },
  'silent-returning': { type: 'boolean' },
  'no-silent-returning': { type: 'boolean' },
  'token-format': { type: 'string' },
  'id-token-alg': { type: 'string' },
  'subject-type': { type: 'string' },
  'sector-identifier': { type: 'string' },
  'backchannel-logout-uri': { type: 'string' },
  owner: { type: 'string' },
  yes: { type: 'boolean' },
} as const;

type ClientFlags = CommonFlags & {
  name?: string;
  type?: string;
  description?: string;
  homepage?: string;
  'redirect-uri'?: string[];
  'post-logout-redirect-uri'?: string[];
  scope?: string[];
  grant?: string[];
  'add-grant'?: string[];
  'remove-grant'?: string[];
  'add-redirect-uri'?: string[];
  'remove-redirect-uri'?: string[];
  'no-pkce'?: boolean;
  pkce?: boolean;
  trusted?: boolean;
  'no-trusted'?: boolean;
  'silent-returning'?: boolean;
  'no-silent-returning'?: boolean;
  'token-format'?: string;
  'id-token-alg'?: string;
  'subject-type'?: string;
  'sector-identifier'?: string;
  'backchannel-logout-uri'?: string;
  owner?: string;
  yes?: boolean;
  json?: boolean;
};

function describeClient(client: Client) {
  return {
    client_id: client.id,
    name: client.name,
    type: client.appType,
    redirect_uris: client.redirectUris,
    scopes: client.scopes,
    grant_types: client.grantTypes,
    pkce_required: client.pkceRequired,
    trusted: client.trusted,
    silent_returning: client.silentReturning,
    token_format: client.tokenFormat,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg ?? 'RS256',
    post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
    subject_type: client.subjectType ?? 'public',
    ...(client.subjectType === 'pairwise' ? { sector_identifier: sectorOf(client) } : {}),
    ...(client.backchannelLogoutUri ? { backchannel_logout_uri: client.backchannelLogoutUri } : {}),
  };
}

function parseGrants(values: string[] | undefined): GrantType[] | undefined {
  if (!values) return undefined;
  const known = grantModules.map((grant) => grant.grantType);
  for (const value of values) {
    if (!known.includes(value)) throw new UsageError(`--grant takes one of ${known.join(', ')}, not "${value}"`);
  }
  return values;
}

export function parseTokenFormat(value: string | undefined): TokenFormat | undefined {
  if (value === undefined) return undefined;
  if (value !== 'jwt' && value !== 'opaque') throw new UsageError('--token-format takes jwt or opaque');
  return value;
}

function parseSubjectType(value: string | undefined): SubjectType | undefined {
  if (value === undefined) return undefined;
  if (!subjectTypes.includes(value as SubjectType)) throw new UsageError(`--subject-type takes ${subjectTypes.join(' or ')}`);
  return value as SubjectType;
}

function parseIdTokenAlg(value: string | undefined): IdTokenAlgorithm | undefined {
  if (value === undefined) return undefined;
  if (!idTokenAlgorithms.includes(value as IdTokenAlgorithm)) throw new UsageError(`--id-token-alg takes ${idTokenAlgorithms.join(' or ')}`);
  return value as IdTokenAlgorithm;
}

/** grantry client create --name N --type web|spa|native|service --redirect-uri URI … */
export async function clientCreate(flags: ClientFlags): Promise<void> {
  if (!flags.name) throw new UsageError('client create needs --name');
  if (!flags.type || !appTypes.includes(flags.type as AppType)) throw new UsageError(`client create needs --type ${appTypes.join('|')}`);
  await withStore(flags, async ({ store, config }) => {
    const owner = flags.owner ? await store.users.findByUsername(flags.owner) : undefined;
    if (flags.owner && !owner) throw new UsageError(`no user is named ${flags.owner}`);
    try {
      const { client, clientSecret } = await registerClient(store, config, {
        name: flags.name!,
        appType: flags.type as AppType,
        description: flags.description,
        homepage: flags.homepage,
        redirectUris: flags['redirect-uri'],
        postLogoutRedirectUris: flags['post-logout-redirect-uri'],
        scopes: flags.scope,
        grantTypes: parseGrants(flags.grant),
        pkceRequired: !flags['no-pkce'],
        trusted: Boolean(flags.trusted),
        silentReturning: Boolean(flags['silent-returning']),
        tokenFormat: parseTokenFormat(flags['token-format']),
        idTokenSignedResponseAlg: parseIdTokenAlg(flags['id-token-alg']),
        subjectType: parseSubjectType(flags['subject-type']),
        sectorIdentifier: flags['sector-identifier'],
        backchannelLogoutUri: flags['backchannel-logout-uri'],
        ownerId: owner?.id ?? null,
      });
      print(flags.json, { ...describeClient(client), ...(clientSecret ? { client_secret: clientSecret } : {}) }, [
        `Registered ${client.name} (${client.appType}).`,
        `App Key (client_id): ${client.id}`,
        ...(clientSecret ? [`App Secret (client_secret): ${clientSecret}`, 'Keep the secret now: it is stored hashed and cannot be shown again.'] : []),
      ]);
    } catch (error) {
      if (error instanceof RegistrationError) throw new UsageError(error.message);
      throw error;
    }
  });
}

/**
 * grantry client update ID [--grant …] [--add-grant …] [--remove-grant …] [--redirect-uri …]
 * [--add-redirect-uri …] [--remove-redirect-uri …] [--scope …] [--trusted|--no-trusted]
 * [--silent-returning|--no-silent-returning] [--pkce|--no-pkce] [--token-format …]
 *
 * --grant and --redirect-uri replace the whole list; --add-… and --remove-… change it. Either
 * way the resulting lists are printed.
 */
export async function clientUpdate(id: string | undefined, flags: ClientFlags): Promise<void> {
  if (!id) throw new UsageError('client update needs the app id: grantry client update CLIENT_ID …');
  if (flags.grant && (flags['add-grant'] || flags['remove-grant'])) throw new UsageError('--grant replaces the list: use it without --add-grant and --remove-grant');
  if (flags['redirect-uri'] && (flags['add-redirect-uri'] || flags['remove-redirect-uri'])) {
    throw new UsageError('--redirect-uri replaces the list: use it without --add-redirect-uri and --remove-redirect-uri');
  }
  await withStore(flags, async ({ store, config }) => {
    const current = await store.clients.find(id);
    if (!current) throw new UsageError(`no app has the client_id ${id}`);
    const patch: ClientPatch = {
      name: flags.name,
      description: flags.description,
      homepage: flags.homepage,
      redirectUris: changedList(current.redirectUris, flags['redirect-uri'], flags['add-redirect-uri'], flags['remove-redirect-uri']),
      scopes: flags.scope,
      grantTypes: changedList(current.grantTypes, parseGrants(flags.grant), parseGrants(flags['add-grant']), parseGrants(flags['remove-grant'])),
      pkceRequired: flags['no-pkce'] ? false : flags.pkce ? true : undefined,
      trusted: flags['no-trusted'] ? false : flags.trusted ? true : undefined,
      silentReturning: flags['no-silent-returning'] ? false : flags['silent-returning'] ? true : undefined,
      tokenFormat: parseTokenFormat(flags['token-format']),
      idTokenSignedResponseAlg: parseIdTokenAlg(flags['id-token-alg']),
      postLogoutRedirectUris: flags['post-logout-redirect-uri'],
      subjectType: parseSubjectType(flags['subject-type']),
      // An empty value clears it.
      sectorIdentifier: flags['sector-identifier'],
      backchannelLogoutUri: flags['backchannel-logout-uri'],
    };
    try {
      const client = await updateClient(store, config, id, patch);
      print(flags.json, describeClient(client), [
        `Updated ${client.name} (${client.id}).`,
        `  grant types:   ${client.grantTypes.join(', ') || '(none)'}`,
        `  redirect URIs: ${client.redirectUris.join(', ') || '(none)'}`,
        `  scopes:        ${client.scopes.join(', ')}`,
      ]);
    } catch (error) {
      if (error instanceof RegistrationError) throw new UsageError(error.message);
      throw error;
    }
  });
}

/** A list replaced, or changed by what is added and removed; undefined when none of the three is given. */
function changedList(current: string[], replacement?: string[], added?: string[], removed?: string[]): string[] | undefined {
  if (replacement) return [...new Set(replacement)];
  if (!added && !removed) return undefined;
  const gone = new Set(removed ?? []);
  return [...new Set([...current, ...(added ?? [])])].filter((value) => !gone.has(value));
}

/** grantry client rotate-secret ID */
export async function clientRotateSecret(id: string | undefined, flags: ClientFlags): Promise<void> {
  if (!id) throw new UsageError('client rotate-secret needs the app id');
  await withStore(flags, async ({ store }) => {
    try {
      const secret = await rotateClientSecret(store, id);
      print(flags.json, { client_id: id, client_secret: secret }, [`New App Secret for ${id}: ${secret}`, 'The old secret no longer works.']);
    } catch (error) {
      if (error instanceof RegistrationError) throw new UsageError(error.message);
      throw error;
    }
  });
}

/** grantry client list */
export async function clientList(flags: ClientFlags): Promise<void> {
  await withStore(flags, async ({ store }) => {
    const clients = await store.clients.list();
    print(flags.json, { clients: clients.map(describeClient) }, clients.length === 0 ? ['No apps are registered.'] : clients.map((c) => `${c.id}  ${c.appType.padEnd(7)}  ${c.name}`));
  });
}

/** grantry client delete ID --yes: the app and everything issued to it; its tokens stop working. */
export async function clientDelete(id: string | undefined, flags: ClientFlags): Promise<void> {
  if (!id) throw new UsageError('client delete needs the app id');
  if (!flags.yes) throw new UsageError('client delete ends every token of the app and cannot be undone: add --yes');
  await withStore(flags, async ({ store }) => {
    const client = await store.clients.find(id);
    if (!client || !(await deleteClient(store, id))) throw new UsageError(`no app has the client_id ${id}`);
    print(flags.json, { client_id: id, deleted: true }, [`Deleted ${client.name} (${id}) and every token issued to it.`]);
  });
}

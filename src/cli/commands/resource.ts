import { RegistrationError } from '../../provider/protocol/clients.ts';
import { registerResource, updateResource } from '../../provider/protocol/resources.ts';
import { ConflictError, type Resource } from '../../provider/storage.ts';
import { print } from '../output.ts';
import { UsageError, type CommonFlags } from '../settings.ts';
import { parseTokenFormat } from './client.ts';
import { withStore } from './with-store.ts';

// grantry resource create|list|update: the APIs tokens may be issued for (RFC 8707). A change
// reaches every running instance within clientCacheSeconds, as an app's does.

export const resourceOptions = {
  uri: { type: 'string' },
  name: { type: 'string' },
  scope: { type: 'string', multiple: true },
  'access-token-lifetime': { type: 'string' },
  // Named as grantry client create names it.
  'token-format': { type: 'string' },
} as const;

type ResourceFlags = CommonFlags & { uri?: string; name?: string; scope?: string[]; 'access-token-lifetime'?: string; 'token-format'?: string; json?: boolean };

function describeResource(resource: Resource) {
  return {
    id: resource.id,
    uri: resource.uri,
    name: resource.name,
    scopes: resource.scopes,
    access_token_lifetime: resource.accessTokenLifetime,
    token_format: resource.tokenFormat,
  };
}

function parseLifetime(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  // Empty: back to the provider's access-token lifetime.
  if (value === '') return null;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new UsageError('--access-token-lifetime is a whole number of seconds, at least 1 (empty: the default)');
  return Number(value);
}

/** Said for the operator: what the API will receive. */
function describeFormat(resource: Resource): string {
  return resource.tokenFormat === 'opaque' ? 'opaque access tokens, verified through introspection' : 'JWT access tokens';
}

function asUsage(error: unknown): never {
  if (error instanceof RegistrationError || error instanceof ConflictError) throw new UsageError(error.message);
  throw error;
}

/** grantry resource create --uri URI --name N [--scope S]… [--access-token-lifetime SECONDS] [--token-format jwt|opaque] */
export async function resourceCreate(flags: ResourceFlags): Promise<void> {
  if (!flags.uri) throw new UsageError('resource create needs --uri (the API\'s URI: its tokens\' audience)');
  if (!flags.name) throw new UsageError('resource create needs --name');
  const tokenFormat = parseTokenFormat(flags['token-format']);
  await withStore(flags, async ({ store, config }) => {
    const resource = await registerResource(store, config, { uri: flags.uri!, name: flags.name!, scopes: flags.scope, accessTokenLifetime: parseLifetime(flags['access-token-lifetime']), tokenFormat }).catch(asUsage);
    print(flags.json, describeResource(resource), [`Registered ${resource.name} (${resource.id}): tokens asked for with resource=${resource.uri} are for it (${describeFormat(resource)}).`]);
  });
}

/** grantry resource list */
export async function resourceList(flags: ResourceFlags): Promise<void> {
  await withStore(flags, async ({ store }) => {
    const resources = await store.resources.list();
    print(flags.json, { resources: resources.map(describeResource) }, resources.length === 0 ? ['No resources are registered.'] : resources.map((r) => `${r.id}  ${r.uri}  ${r.name}  ${r.tokenFormat}  ${r.scopes.join(' ')}`));
  });
}

/** grantry resource update ID [--uri URI] [--name N] [--scope S]… [--access-token-lifetime SECONDS] [--token-format jwt|opaque]; --scope replaces the list. */
export async function resourceUpdate(id: string | undefined, flags: ResourceFlags): Promise<void> {
  if (!id) throw new UsageError('resource update needs the resource id: grantry resource update ID …');
  const tokenFormat = parseTokenFormat(flags['token-format']);
  await withStore(flags, async ({ store, config }) => {
    const resource = await updateResource(store, config, id, { uri: flags.uri, name: flags.name, scopes: flags.scope, accessTokenLifetime: parseLifetime(flags['access-token-lifetime']), tokenFormat }).catch(asUsage);
    print(flags.json, describeResource(resource), [`Updated ${resource.name} (${resource.id}): ${resource.uri}, scopes ${resource.scopes.join(' ') || '(none)'}, ${describeFormat(resource)}.`]);
  });
}

import type { Kysely, Selectable } from 'kysely';
import type { TokenFormat } from '../../config/defaults.ts';
import { ConflictError, type Resource, type ResourceStore } from '../../provider/storage.ts';
import { isUniqueViolation } from '../errors.ts';
import type { Database, ResourcesTable } from '../schema.ts';

/** A broken unique constraint (the URI) as the ConflictError the storage interface names. */
async function conflictAsError<T>(work: Promise<T>, message: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(message);
    throw error;
  }
}

const toResource = (row: Selectable<ResourcesTable>): Resource => ({
  id: row.id,
  uri: row.uri,
  name: row.name,
  scopes: row.scopes.split(' ').filter(Boolean),
  accessTokenLifetime: row.access_token_lifetime,
  tokenFormat: row.token_format as TokenFormat,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function createResourceStore(db: Kysely<Database>): ResourceStore {
  // The whole list, since there are few: one read per cache period answers every request's lookup.
  let cached: { resources: Resource[]; until: number } | undefined;
  const list = async () => (await db.selectFrom('resources').selectAll().orderBy('created_at').orderBy('id').execute()).map(toResource);
  return {
    async create(resource) {
      await conflictAsError(
        db.insertInto('resources').values({
          id: resource.id,
          uri: resource.uri,
          name: resource.name,
          scopes: resource.scopes.join(' '),
          access_token_lifetime: resource.accessTokenLifetime,
          token_format: resource.tokenFormat,
          created_at: resource.createdAt,
          updated_at: resource.updatedAt,
        }).execute(),
        `the resource ${resource.uri} is registered already`,
      ).finally(() => (cached = undefined));
    },

    async update(id, patch) {
      const values: Partial<ResourcesTable> = {};
      if (patch.uri !== undefined) values.uri = patch.uri;
      if (patch.name !== undefined) values.name = patch.name;
      if (patch.scopes !== undefined) values.scopes = patch.scopes.join(' ');
      if (patch.accessTokenLifetime !== undefined) values.access_token_lifetime = patch.accessTokenLifetime;
      if (patch.tokenFormat !== undefined) values.token_format = patch.tokenFormat;
      values.updated_at = patch.updatedAt ?? Math.floor(Date.now() / 1000);
      // Dropped after the write, so that no read racing it keeps the old rows for a cache period.
      await conflictAsError(db.updateTable('resources').set(values).where('id', '=', id).execute(), `the resource ${patch.uri} is registered already`).finally(() => (cached = undefined));
      const row = await db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toResource(row);
    },

    async find(id) {
      const row = await db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toResource(row);
    },

    list,

    async listCached(maxAgeSeconds) {
      if (cached && cached.until > Date.now()) return cached.resources;
      const resources = await list();
      if (maxAgeSeconds > 0) cached = { resources, until: Date.now() + maxAgeSeconds * 1000 };
      return resources;
    },
  };
}

import type { Kysely } from 'kysely';

// Each registered API chooses the format of its access tokens (issue 16): resources.token_format,
// 'jwt' (readable by the API with the published keys) or 'opaque' (a random string the API asks
// the issuer about, RFC 7662). An opaque token for APIs carries its audience in its row:
// access_tokens.audience, space-separated URIs; null for a token for the issuer's own API, as every
// row written before this migration is.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resources').addColumn('token_format', 'text', (c) => c.notNull().defaultTo('jwt')).execute();
  await db.schema.alterTable('access_tokens').addColumn('audience', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('access_tokens').dropColumn('audience').execute();
  await db.schema.alterTable('resources').dropColumn('token_format').execute();
}

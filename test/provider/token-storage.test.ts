import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, makeCode, postForm, redirectUri } from './token-fixtures.ts';

/** Every row of every table, as one string: what someone who copied the database would have. */
async function dumpDatabase(provider: RunningProvider): Promise<string> {
  const url = provider.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const db = new SQLite(url.slice('sqlite:'.length), { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      return tables.map(({ name }) => JSON.stringify(db.prepare(`select * from "${name}"`).all())).join('\n');
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = current_schema()');
    const dumps: string[] = [];
    for (const { table_name } of tables.rows) dumps.push(JSON.stringify((await client.query(`select * from "${table_name}"`)).rows));
    return dumps.join('\n');
  } finally {
    await client.end();
  }
}

for (const kind of storeKinds) {
  describe(`what the token side stores on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    test('no code, refresh token, opaque access token or client secret in plain', async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', tokenFormat: 'opaque' });
      const user = await provider.createUser();
      const auth = basicAuth(client.id, clientSecret!);
      const { code, verifier } = await makeCode(provider, { client, user });
      const first = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! }, auth);
      assert.equal(first.status, 200, `the code is exchanged for tokens: ${JSON.stringify(first.body)}`);
      const second = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, auth);
      assert.equal(second.status, 200, `the refresh token is exchanged for new tokens: ${JSON.stringify(second.body)}`);
      const dump = await dumpDatabase(provider);
      assert.ok(dump.includes(client.id), 'the dump holds the data');
      for (const [name, secret] of Object.entries({
        code,
        clientSecret: clientSecret!,
        firstRefresh: first.body.refresh_token,
        secondRefresh: second.body.refresh_token,
        firstAccess: first.body.access_token,
        secondAccess: second.body.access_token,
      })) {
        assert.equal(dump.includes(secret), false, `${name} is stored in plain`);
      }
    });
  });
}

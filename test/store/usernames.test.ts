import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { usernameKey } from '../../src/lib/username.ts';
import { ConflictError, openStore } from '../../src/store/index.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { openDatabase } from '../../src/store/open.ts';
import { storeKinds } from '../helpers/stores.ts';

// Usernames are unique without regard to case and Unicode compatibility forms (migration 009).
// A database made before that may hold alice and ALICE: the migration keeps both working and says
// so, instead of failing.

test('usernameKey folds case and compatibility forms', () => {
  const cases: [string, string][] = [
    ['Alice', 'alice'],
    ['ALICE', 'alice'],
    ['ａｌｉｃｅ', 'alice'],
    ['Straße', 'strasse'],
    ['ﬁle', 'file'],
    ['dot.and-dash_1', 'dot.and-dash_1'],
  ];
  for (const [name, key] of cases) assert.equal(usernameKey(name), key, `${name} is compared as ${key}`);
});

for (const kind of storeKinds) {
  describe(`usernames on ${kind.name}`, () => {
    test('names that collided before migration 009 keep working by their exact spelling, are named, and the migration does not fail', async () => {
      // A store at the newest migration; then, by hand, the state before 009, with two names that differ only by case.
      const fresh = await kind.open();
      const { url, schema } = fresh;
      const raw = await openDatabase<unknown>(url, { migrations: {}, table: 'grantry_probe', lockTable: 'grantry_probe_lock' }, schema ? { schema } : {});
      const db = raw.db as Kysely<any>;
      // Each migration from 009 on undone by its own down(), newest first.
      const later = Object.keys(migrations).filter((name) => name >= '009').sort().reverse();
      for (const name of later) await migrations[name]!.down!(db);
      await db.deleteFrom('grantry_migrations').where('name', 'in', later).execute();
      for (const [id, username, at] of [['u-alice', 'alice', 1], ['u-ALICE', 'ALICE', 2], ['u-bob', 'bob', 3]] as const) {
        await db.insertInto('users').values({ id, username, password_hash: 'x', display_name: username, email: null, created_at: at }).execute();
      }
      await raw.close();

      const said: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string) => (said.push(String(chunk)), true)) as typeof process.stderr.write;
      let store;
      try {
        store = await openStore(url, schema ? { schema } : {});
      } finally {
        process.stderr.write = write;
      }
      try {
        assert.match(said.join(''), /1 username\(s\) in users differ from an older one only by case or Unicode form: ALICE/, 'the migration names the colliding account instead of failing');
        assert.deepEqual(await store.users.collidingUsernames(), ['ALICE'], 'and the store lists it, for grantry start to say');
        assert.equal((await store.users.findByUsername('ALICE'))?.id, 'u-ALICE', 'ALICE still signs in by its exact spelling');
        assert.equal((await store.users.findByUsername('alice'))?.id, 'u-alice', 'alice, the older, keeps the name in every other spelling');
        assert.equal((await store.users.findByUsername('Alice'))?.id, 'u-alice', 'Alice is alice');
        assert.equal((await store.users.findByUsername('BOB'))?.id, 'u-bob', 'names that collided with nothing are found in any case');
        await assert.rejects(store.users.create({ username: 'aLiCe', passwordHash: 'x', displayName: 'x', email: null }), ConflictError, 'no new account may take the name in any case');
      } finally {
        await store.close();
        await fresh.dispose();
      }
    });
  });
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { usernameKey } from '../../src/lib/username.ts';
import { makeConfig } from '../../src/config/config.ts';
import { accountKey, authenticateUser, hashPassword } from '../../src/provider/accounts/authenticate.ts';
import { checkSitePassword, hashPassword as hashSitePassword } from '../../src/connect/binding/passwords.ts';
import { defaults } from '../../src/config/defaults.ts';
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

// Cheap hashing and no slow-down: what is tested here is who is counted, not how long it takes.
const config = makeConfig({ secret: 'x'.repeat(32), argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 }, login: { slowAfterFailures: 1000 } });

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
      const passwordHash = await hashPassword(config, 'ALICE password');
      for (const [id, username, at] of [['u-alice', 'alice', 1], ['u-ALICE', 'ALICE', 2], ['u-bob', 'bob', 3]] as const) {
        await db.insertInto('users').values({ id, username, password_hash: passwordHash, display_name: username, email: null, created_at: at }).execute();
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
        assert.equal((await store.users.findByUsername('ALICE'))?.collidedUsername, true, 'ALICE is marked as a name that collided');
        assert.equal((await store.users.findByUsername('alice'))?.collidedUsername, undefined, 'alice is not');

        // ALICE and alice share one failure counter. Guesses at alice, then ALICE's own right
        // password: the guesses still count (a success must not wipe out the victim's count).
        const address = '192.0.2.9';
        for (let guess = 0; guess < 3; guess++) {
          const result = await authenticateUser(store, config, { username: 'alice', password: `guess ${guess}`, address });
          assert.equal(result.ok, false, 'a guess at alice fails');
        }
        assert.equal((await authenticateUser(store, config, { username: 'ALICE', password: 'ALICE password', address })).ok, true, 'ALICE signs in with her own password');
        const [counter] = await store.throttle.find([accountKey('alice')]);
        // Attempts are counted before the password is checked: the three guesses and ALICE's own.
        assert.equal(counter?.failures, 4, "ALICE's success leaves the guesses at alice counted");
        assert.equal((await authenticateUser(store, config, { username: 'bob', password: 'ALICE password', address })).ok, true, 'bob signs in');
        assert.equal((await store.throttle.find([accountKey('bob')])).length, 0, "an ordinary account's success clears its own counter");
      } finally {
        await store.close();
        await fresh.dispose();
      }
    });
    test("Connect: a name that collided before its migration 002 is marked, and its success leaves the older account's count alone", async () => {
      const { store, url, schema, dispose } = await kind.openConnect();
      try {
        const passwordHash = await hashSitePassword('ALICE password');
        await store.createConnectUser({ username: 'alice', passwordHash, displayName: 'alice', email: null });
        // The state a database made before the key was unique may hold: ALICE without a key.
        const raw = await openDatabase<unknown>(url, { migrations: {}, table: 'grantry_probe', lockTable: 'grantry_probe_lock' }, schema ? { schema } : {});
        await (raw.db as Kysely<any>).insertInto('connect_users').values({ id: 'c-ALICE', username: 'ALICE', username_key: null, password_hash: passwordHash, display_name: 'ALICE', email: null, created_at: 2 }).execute();
        await raw.close();
        assert.equal((await store.findConnectUserByUsername('ALICE'))?.collidedUsername, true, 'ALICE is marked as a name that collided');
        const policy = { ...defaults.login, slowAfterFailures: 1000 };
        for (let guess = 0; guess < 3; guess++) {
          assert.equal((await checkSitePassword(store, 'alice', `guess ${guess}`, { address: '192.0.2.10', policy })).ok, false, 'a guess at alice fails');
        }
        assert.equal((await checkSitePassword(store, 'ALICE', 'ALICE password', { address: '192.0.2.10', policy })).ok, true, 'ALICE logs in with her own password');
        const [counter] = await store.findLoginFailures([`connect:user:${usernameKey('alice')}`]);
        assert.equal(counter?.failures, 4, "ALICE's success leaves the guesses at alice counted");
      } finally {
        await dispose();
      }
    });
  });
}

import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ConflictError, type User, type UserStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';
import { usernameKey } from '../../lib/username.ts';
import { isUniqueViolation } from '../errors.ts';
import { now, toUser, userRow, withoutUndefined, writeClaims } from './rows.ts';

export function createUserStore(db: Kysely<Database>): UserStore {
  return {
    async create(input) {
      const user: User = { id: input.id ?? randomUUID(), createdAt: input.createdAt ?? now(), ...withoutUndefined(input) } as User;
      try {
        await db.insertInto('users').values(userRow(user)).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`the username "${user.username}" is taken`);
        throw error;
      }
      return user;
    },

    async findById(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async findByUsername(username) {
      // By its key (case and compatibility forms folded); a name that collided before the key was
      // unique (migration 009) has none, and is found by its exact spelling only.
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where((eb) => eb.or([eb('username_key', '=', usernameKey(username)), eb.and([eb('username_key', 'is', null), eb('username', '=', username)])]))
        // Where an old collision left two, the one spelt exactly as typed.
        .orderBy(sql`case when username = ${username} then 0 else 1 end`)
        .executeTakeFirst();
      return row && toUser(row);
    },

    async collidingUsernames() {
      const rows = await db.selectFrom('users').select('username').where('username_key', 'is', null).orderBy('username').execute();
      return rows.map((row) => row.username);
    },

    async updatePassword(id, passwordHash) {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },

    async updateClaims(id, claims) {
      await db.updateTable('users').set({ claims: writeClaims(claims) }).where('id', '=', id).execute();
    },
  };
}

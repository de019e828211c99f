import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, type User, type UserStore } from '../../provider/storage.ts';
import type { Database } from '../schema.ts';
import { isUniqueViolation, now, toUser, userRow, withoutUndefined } from './rows.ts';

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
      const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
      return row && toUser(row);
    },

    async updatePassword(id, passwordHash) {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },
  };
}

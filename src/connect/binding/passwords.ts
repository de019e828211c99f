import { hash, verify } from '@node-rs/argon2';
import { defaults } from '../../config/defaults.ts';

// The site's own passwords: Argon2id with the same parameters as the provider's.

export function hashPassword(password: string): Promise<string> {
  return hash(password, { ...defaults.argon2, algorithm: 2 /* Argon2id */ });
}

// Verified against when the username is unknown, so that the answer takes as long either way.
let decoy: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    await verify(await (decoy ??= hashPassword('decoy password')), password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}

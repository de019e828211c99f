import * as nodeCrypto from 'node:crypto';
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

// crypto.hash (Node 20.12 and later) hashes in one call, about half the cost of createHash().update().digest().
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'base64url' | 'buffer') => string | Buffer }).hash;
const sha256Text = oneShot
  ? (value: string) => oneShot('sha256', value, 'base64url') as string
  : (value: string) => createHash('sha256').update(value).digest('base64url');
const sha256Bytes = oneShot
  ? (value: string) => oneShot('sha256', value, 'buffer') as Buffer
  : (value: string) => createHash('sha256').update(value).digest();

/** A fresh random secret of `bytes` bytes, base64url-encoded (32 bytes = 256 bits by default). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** How every high-entropy secret (client secrets, codes, refresh tokens, sessions) is stored. */
export function sha256(value: string): string {
  return sha256Text(value);
}

/** Compares two strings without leaking, through timing, how much of them matched. */
export function safeEqual(a: string, b: string): boolean {
  const left = sha256Bytes(a);
  const right = sha256Bytes(b);
  return timingSafeEqual(left, right) && a.length === b.length;
}

export function hmac(key: string | Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** Derives a 256-bit key for one purpose from the operator's secret. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'grantry', purpose, 32));
}

/**
 * AES-256-GCM: `v1.<iv>.<ciphertext>.<tag>`, base64url parts. The additional data binds a sealed
 * value to where it is stored (a key id, a row id), so that one sealed value cannot be swapped
 * for another.
 */
export function seal(key: Buffer, plaintext: string, additionalData = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(additionalData));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function unseal(key: Buffer, sealed: string, additionalData = ''): string {
  const [version, iv, ciphertext, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || ciphertext === undefined || !tag) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(additionalData));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}

/** The S256 code challenge of RFC 7636 §4.2. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

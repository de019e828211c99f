import type { ConnectProfile } from '../client/types.ts';
import type { Body } from '../client/http.ts';

/** A normalized profile from whatever a provider calls these fields; absent means null, never "". */
export function profile(fields: { name?: unknown; email?: unknown; emailVerified?: unknown; avatar?: unknown }): ConnectProfile {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  const email = text(fields.email);
  // An email counts as verified only when the provider says so in as many words.
  return { name: text(fields.name), email, emailVerified: email !== null && fields.emailVerified === true, avatar: text(fields.avatar) };
}

export function bearer(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}` };
}

export function text(body: Body, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

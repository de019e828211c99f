import { defaults } from '../../config/defaults.ts';
import { t, type Locale, type MessageKey } from '../../i18n/index.ts';
import { personClaimNames } from '../protocol/claims.ts';

// What a scope lets an app do, in the page's language. The built-in scopes have catalogue entries;
// a scope the operator defined (or a built-in one whose words the operator changed) keeps the
// operator's text, which Grantry cannot translate.

const builtIn: Record<string, MessageKey> = {
  openid: 'scope.openid',
  profile: 'scope.profile',
  email: 'scope.email',
  address: 'scope.address',
  phone: 'scope.phone',
  offline_access: 'scope.offline_access',
};

const claimKeys: Record<string, MessageKey> = Object.fromEntries(personClaimNames.map((name) => [name, `claim.${name}` as MessageKey]));

/** What a claim asked for by name (the claims parameter) reveals, in the page's language. */
export function claimWords(locale: Locale, name: string): string {
  return Object.hasOwn(claimKeys, name) ? t(locale, claimKeys[name]!) : name;
}

export function scopeWords(locale: Locale, name: string, configured: Record<string, string>): string {
  const text = Object.hasOwn(configured, name) ? configured[name]! : name;
  const key = Object.hasOwn(builtIn, name) ? builtIn[name] : undefined;
  if (key && Object.hasOwn(defaults.scopes, name) && defaults.scopes[name] === text) return t(locale, key);
  return text;
}

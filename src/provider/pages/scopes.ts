import { defaults } from '../../config/defaults.ts';
import { t, type Locale, type MessageKey } from '../../i18n/index.ts';

// What a scope lets an app do, in the page's language. The built-in scopes have catalogue entries;
// a scope the operator defined (or a built-in one whose words the operator changed) keeps the
// operator's text, which Grantry cannot translate.

const builtIn: Record<string, MessageKey> = { openid: 'scope.openid', profile: 'scope.profile', email: 'scope.email' };

export function scopeWords(locale: Locale, name: string, configured: Record<string, string>): string {
  const text = Object.hasOwn(configured, name) ? configured[name]! : name;
  const key = Object.hasOwn(builtIn, name) ? builtIn[name] : undefined;
  if (key && Object.hasOwn(defaults.scopes, name) && defaults.scopes[name] === text) return t(locale, key);
  return text;
}

import { en, type MessageKey } from './en.ts';
import { translator, type Catalogue, type Locale } from './negotiate.ts';
import { zhCN } from './zh-CN.ts';

// The languages Grantry's pages speak, and how a request's language is chosen (./negotiate.ts,
// shared with Connect). `t` returns plain text: the page template escapes it like any other value.

export { defaultLocale, format, isLocale, localeNames, locales, pickLocale, translator, type Catalogue, type Locale, type Params } from './negotiate.ts';

/** The cookie a language switcher sets; it wins over Accept-Language. */
export const langCookie = 'grantry_lang';
/** A year: a language choice is remembered like a preference, not like a session. */
export const langCookieMaxAge = 365 * 24 * 3600;

export type { MessageKey };

const catalogues: Record<Locale, Catalogue<MessageKey>> = { en, 'zh-CN': zhCN };

/** The provider's messages. */
export const t = translator(catalogues);

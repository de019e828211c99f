// The generic half of Grantry's languages: which languages there are, how a request's language is
// chosen, and a translator over any catalogues. It holds no messages, so that Connect (a website's
// library) can word its own pages with it without loading the provider's catalogues (./index.ts).

export const locales = ['en', 'zh-CN'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'en';

/** Each language's name in that language, for a switcher. */
export const localeNames: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

export type Params = Record<string, string | number>;
/** A catalogue in another language has every key of the English one, and only those. */
export type Catalogue<K extends string> = Record<K, string>;

/** `{name}` placeholders filled from `params`; an unknown placeholder is left as it is. */
export function format(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** A `t` over any set of catalogues with the same keys (the provider's, or a site's own). */
export function translator<K extends string>(catalogues: Record<Locale, Catalogue<K>>) {
  return (locale: Locale, key: K, params?: Params): string => format(catalogues[locale][key] ?? catalogues.en[key], params);
}

/** Whether a value names a supported language exactly (as a cookie or a switcher link carries it). */
export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/**
 * The language for a request: the `grantry_lang` cookie if it names one we speak (the person's own
 * choice), else the first of an authorization request's ui_locales that we speak (the app's word
 * for the person's languages), else the best match in Accept-Language (RFC 9110 §12.5.4: q-values, `*`, primary-tag matching: every `zh-*`
 * gets Simplified Chinese, the only Chinese there is, which a reader of Traditional Chinese reads
 * more easily than English), else English. Among equal q-values the first listed wins.
 */
export function pickLocale(input: { cookie?: string | null; uiLocales?: string | null; acceptLanguage?: string | null }): Locale {
  if (isLocale(input.cookie)) return input.cookie;
  for (const tag of input.uiLocales?.toLowerCase().split(' ') ?? []) {
    const locale = tag === '*' ? undefined : localeOfTag(tag);
    if (locale) return locale;
  }
  const header = input.acceptLanguage;
  if (!header || header.length > 1000) return defaultLocale;
  let best: { locale: Locale; q: number; order: number } | undefined;
  header.split(',').forEach((part, order) => {
    const [rawTag, ...rest] = part.trim().split(';');
    const tag = (rawTag ?? '').trim().toLowerCase();
    if (!tag) return;
    let q = 1;
    for (const param of rest) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (match) q = Number(match[1]);
    }
    if (!(q > 0)) return;
    const locale = localeOfTag(tag);
    if (!locale) return;
    if (!best || q > best.q) best = { locale, q, order };
  });
  return best?.locale ?? defaultLocale;
}

function localeOfTag(tag: string): Locale | undefined {
  if (tag === '*') return defaultLocale;
  const primary = tag.split('-')[0];
  if (primary === 'en') return 'en';
  if (primary === 'zh') return 'zh-CN';
  return undefined;
}

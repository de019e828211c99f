// Where to send someone back to after logging in, registering or switching the language: the one
// check both the provider (src/provider/http/login.ts) and Connect (src/connect/, the demo site)
// use, so that the two cannot drift apart again.

/** A placeholder origin to resolve against; never shown to anybody, and never a real host. */
const placeholder = 'http://return-to.invalid';

/** A path on this site: one "/" then printable ASCII only (no space, no control character, no backslash). */
const sitePath = /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/;

/** A percent-encoded "/" or "\" in the path: some servers and proxies decode them into separators. */
const encodedSeparator = /%(?:2f|5c)/i;

/**
 * The path, query and fragment to redirect to, when `value` names a page of this site; otherwise
 * undefined, and the caller uses its own default (`safeReturnTo(x) ?? '/'`).
 *
 * Accepted: a string of at most 2048 characters, one leading "/" (not "//"), printable ASCII only
 * (no space, no control character, no backslash, nothing non-ASCII), that resolves against a fixed
 * placeholder origin to that same origin. What is returned is not the input but the path rebuilt
 * from the parsed URL (pathname + search + hash, dot segments resolved, `%2e` segments too), and
 * that result must pass the same test again: one leading "/", printable ASCII, no backslash, and no
 * percent-encoded "/" or "\" in its path.
 *
 * Why the result is checked and not only the input: the URL parser removes dot segments, so
 * `/.//evil.example`, `/..//x` and `/%2e%2e//x` — harmless-looking inputs — become
 * `//evil.example` and `//x`, which a browser reads as another site. Checking the raw string and
 * answering the normalised one was an open redirect. Why printable ASCII: tabs and newlines are
 * dropped by browsers' URL parsers (`/\t/evil.example` is `//evil.example` to them, `java\nscript:`
 * is `javascript:`), a Location header must be ASCII, and a path that came from one of our own
 * links is already percent-encoded. Why no backslash: browsers read `/\evil.example` as
 * `//evil.example`. The query and fragment are kept (an authorization request waiting for its
 * login is `/oauth2/authorize/continue?request_id=…`); they may hold anything encoded, since they
 * cannot change which site the browser goes to.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048 || !sitePath.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, placeholder);
  } catch {
    return undefined;
  }
  if (url.origin !== placeholder || url.username !== '' || url.password !== '') return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (path.length > 2048 || !sitePath.test(path) || encodedSeparator.test(url.pathname)) return undefined;
  return path;
}

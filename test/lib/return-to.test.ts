import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { safeReturnTo } from '../../src/lib/return-to.ts';

// The one returnTo check of the provider and Connect. An outside attack test found that checking
// the raw string and answering the normalised one was an open redirect (`/.//evil.example` came
// back as `//evil.example`): every row says what must come back — the path to use, or undefined.

const evil = 'evil.example';

const table: Array<[category: string, input: unknown, expected: string | undefined]> = [
  // Paths on the site survive, query and fragment included.
  ['good', '/', '/'],
  ['good', '/account', '/account'],
  ['good', '/a/b?x=1#y', '/a/b?x=1#y'],
  ['good', '/oauth2/authorize/continue?request_id=abc', '/oauth2/authorize/continue?request_id=abc'],
  ['good', '/articles/42?tab=comments#reply', '/articles/42?tab=comments#reply'],
  ['good', '/login?return_to=%2Foauth2%2Fauthorize%3Fclient_id%3Dabc', '/login?return_to=%2Foauth2%2Fauthorize%3Fclient_id%3Dabc'],
  ['good', '/search?q=a%20b&next=//evil.example', '/search?q=a%20b&next=//evil.example'],
  ['good', '/#/spa/route', '/#/spa/route'],
  ['good', '/@evil.example', '/@evil.example'],
  ['good', '/javascript:alert(1)', '/javascript:alert(1)'],
  ['good', '/%0d%0aLocation:%20https://evil.example', '/%0d%0aLocation:%20https://evil.example'],
  ['good', `/${'a'.repeat(2047)}`, `/${'a'.repeat(2047)}`],

  // Dot segments: resolved, and refused when what they resolve to is another site.
  ['dot segments', '/a/./b', '/a/b'],
  ['dot segments', '/a/b/../c', '/a/c'],
  ['dot segments', '/..', '/'],
  ['dot segments', '/.//evil.example', undefined],
  ['dot segments', '/.//evil.example/phish', undefined],
  ['dot segments', '/..//x', undefined],
  ['dot segments', '/a/..//evil.example', undefined],
  ['dot segments', '/./.././/evil.example', undefined],

  // Encoded dots, slashes and backslashes.
  ['encoded', '/a/%2e%2e/c', '/c'],
  ['encoded', '/%2e%2e//x', undefined],
  ['encoded', '/%2E%2E//x', undefined],
  ['encoded', '/%2e//evil.example', undefined],
  ['encoded', '/.%2e//evil.example', undefined],
  ['encoded', '/%2f%2fevil.example', undefined],
  ['encoded', '/%2F/evil.example', undefined],
  ['encoded', '/a/%2fevil.example', undefined],
  ['encoded', '/%5c%5cevil.example', undefined],
  ['encoded', '/%5Cevil.example', undefined],
  ['encoded', '%2f%2fevil.example', undefined],

  // Backslashes, which browsers read as slashes.
  ['backslash', '/\\evil.example', undefined],
  ['backslash', '\\\\evil.example', undefined],
  ['backslash', '\\/\\/evil.example', undefined],
  ['backslash', '/\\/evil.example', undefined],
  ['backslash', '/a\\b', undefined],
  ['backslash', '/.\\/evil.example', undefined],

  // Tabs, newlines and other control characters, which browsers drop from URLs.
  ['control', 'java\tscript:alert(1)', undefined],
  ['control', 'java\nscript:alert(1)', undefined],
  ['control', 'java\r\nscript:alert(1)', undefined],
  ['control', 'ht\ttp://evil.example/', undefined],
  ['control', '/\t/evil.example', undefined],
  ['control', '/\n/evil.example', undefined],
  ['control', '/\r\n/evil.example', undefined],
  ['control', '/ok\r\nSet-Cookie: a=b', undefined],
  ['control', '/\u0000', undefined],
  ['control', '/a\u007f', undefined],
  ['control', ' /console', undefined],
  ['control', '/a b', undefined],

  // Other sites, absolute or scheme-relative, with userinfo.
  ['other site', '//evil.example', undefined],
  ['other site', '///evil.example', undefined],
  ['other site', 'https://evil.example/', undefined],
  ['other site', 'https:evil.example', undefined],
  ['other site', 'http:/evil.example', undefined],
  ['userinfo', '//user@evil.example/', undefined],
  ['userinfo', '//user:pass@evil.example/', undefined],
  ['userinfo', 'https://return-to.invalid@evil.example/', undefined],
  ['userinfo', 'http://user:pass@return-to.invalid/account', undefined],

  // Internationalised names and look-alike slashes: nothing outside printable ASCII.
  ['IDN', '//bücher.example/', undefined],
  ['IDN', '//xn--bcher-kva.example/', undefined],
  ['IDN', '/caf\u00e9', undefined],
  ['IDN', '/\uff0f\uff0fevil.example', undefined],
  ['IDN', '/\u2215\u2215evil.example', undefined],
  ['IDN', '/\u3002evil.example', undefined],

  // Schemes that run code.
  ['javascript:', 'javascript:alert(1)', undefined],
  ['javascript:', 'JaVaScRiPt:alert(1)', undefined],
  ['javascript:', 'javascript://%0aalert(1)', undefined],
  ['javascript:', 'data:text/html,<script>alert(1)</script>', undefined],

  // Not a path at all.
  ['not a path', '', undefined],
  ['not a path', 'account', undefined],
  ['not a path', '?x=1', undefined],
  ['not a path', '#top', undefined],
  ['not a path', `/${'a'.repeat(2048)}`, undefined],
  ['not a path', undefined, undefined],
  ['not a path', null, undefined],
  ['not a path', 42, undefined],
  ['not a path', ['/account'], undefined],
  ['not a path', { toString: () => '/account' }, undefined],
];

describe('safeReturnTo', () => {
  test(`the table has at least 30 variants (${table.length})`, () => {
    assert.ok(table.length >= 30, `the table has ${table.length} variants`);
  });

  for (const [category, input, expected] of table) {
    const shown = typeof input === 'string' ? JSON.stringify(input.length > 60 ? `${input.slice(0, 40)}…(${input.length})` : input) : String(input);
    test(`${category}: ${shown} → ${expected === undefined ? 'refused' : JSON.stringify(expected.length > 60 ? `${expected.slice(0, 40)}…` : expected)}`, () => {
      const result = safeReturnTo(input);
      assert.equal(result, expected, `${category}: safeReturnTo(${shown})`);
      if (result !== undefined) {
        // Whatever comes back stays on the site, to a browser resolving it as a Location.
        const base = 'https://site.example';
        assert.equal(new URL(result, base).origin, base, `${category}: ${result} resolves on the site`);
        assert.match(result, /^\/(?![/\\])[\x21-\x7e]*$/, `${category}: ${result} is one "/" then printable ASCII`);
        assert.equal(safeReturnTo(result), result, `${category}: ${result} is its own safe path`);
      }
    });
  }

  test(`no answer leaves the site, whatever a browser does with it (${evil})`, () => {
    for (const [, input] of table) {
      const result = safeReturnTo(input);
      if (result === undefined) continue;
      // Browsers drop tabs and newlines and read "\" as "/": the answer must not need either.
      const asBrowser = result.replace(/[\t\n\r]/g, '').replace(/\\/g, '/');
      assert.ok(!asBrowser.startsWith('//'), `${String(input)} → ${result} is not scheme-relative`);
      assert.equal(new URL(asBrowser, 'https://site.example').host, 'site.example', `${String(input)} → ${result} stays on the site`);
    }
  });
});

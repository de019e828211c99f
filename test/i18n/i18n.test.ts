import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { en } from '../../src/i18n/en.ts';
import { format, pickLocale, t, translator } from '../../src/i18n/index.ts';
import { zhCN } from '../../src/i18n/zh-CN.ts';

describe('pickLocale', () => {
  test('defaults to English with nothing to go on', () => {
    assert.equal(pickLocale({}), 'en', 'no cookie and no Accept-Language give English');
    assert.equal(pickLocale({ cookie: null, acceptLanguage: '' }), 'en', 'an empty cookie and an empty Accept-Language give English');
    assert.equal(pickLocale({ acceptLanguage: 'fr-FR, de;q=0.8' }), 'en', 'languages Grantry does not speak give English');
  });

  test('Accept-Language: Chinese in any region or script gets zh-CN', () => {
    for (const header of ['zh-CN', 'zh', 'zh-Hans-CN', 'zh-SG,en;q=0.5', 'ZH-cn', 'zh-TW']) {
      assert.equal(pickLocale({ acceptLanguage: header }), 'zh-CN', header);
    }
  });

  test('Accept-Language: q-values decide, not the order', () => {
    assert.equal(pickLocale({ acceptLanguage: 'en;q=0.4, zh-CN;q=0.9' }), 'zh-CN', 'zh-CN with the higher q-value wins over English listed first');
    assert.equal(pickLocale({ acceptLanguage: 'zh-CN;q=0.5, en-US;q=0.8' }), 'en', 'English with the higher q-value wins over zh-CN listed first');
    assert.equal(pickLocale({ acceptLanguage: 'fr, zh;q=0.3' }), 'zh-CN', 'zh with a low q-value still wins over a language Grantry does not speak');
    assert.equal(pickLocale({ acceptLanguage: 'zh;q=0, en;q=0.1' }), 'en', 'zh;q=0 means not Chinese: English');
    assert.equal(pickLocale({ acceptLanguage: 'zh;q=0' }), 'en', 'zh;q=0 alone means not Chinese: English');
  });

  test('Accept-Language: among equal q-values the first listed wins', () => {
    assert.equal(pickLocale({ acceptLanguage: 'zh-CN, en' }), 'zh-CN', 'zh-CN listed first wins at equal q-values');
    assert.equal(pickLocale({ acceptLanguage: 'en, zh-CN' }), 'en', 'English listed first wins at equal q-values');
  });

  test('malformed headers fall back to English', () => {
    assert.equal(pickLocale({ acceptLanguage: ';;;,,,q=' }), 'en', 'a header of separators only gives English');
    assert.equal(pickLocale({ acceptLanguage: 'zh;q=abc' }), 'zh-CN', 'an unreadable q-value counts as q=1');
    assert.equal(pickLocale({ acceptLanguage: `${'x,'.repeat(600)}zh` }), 'en', 'a header too long to be real is ignored: English');
  });

  test('ui_locales: the first language Grantry speaks wins over Accept-Language, never over the cookie', () => {
    assert.equal(pickLocale({ uiLocales: 'fr-CA zh-Hans en', acceptLanguage: 'en' }), 'zh-CN', 'the first of the ui_locales Grantry speaks (zh-Hans) wins over Accept-Language');
    assert.equal(pickLocale({ uiLocales: 'fr de', acceptLanguage: 'zh-CN' }), 'zh-CN', 'ui_locales Grantry speaks none of leave it to Accept-Language');
    assert.equal(pickLocale({ cookie: 'en', uiLocales: 'zh-CN' }), 'en', "the person's own choice (the cookie) wins over the app's ui_locales");
    assert.equal(pickLocale({ uiLocales: '* zh' }), 'zh-CN', 'a wildcard in ui_locales names no language');
  });

  test('the cookie wins over Accept-Language; an unknown cookie value is ignored', () => {
    assert.equal(pickLocale({ cookie: 'en', acceptLanguage: 'zh-CN' }), 'en', 'the cookie en wins over Accept-Language zh-CN');
    assert.equal(pickLocale({ cookie: 'zh-CN', acceptLanguage: 'en' }), 'zh-CN', 'the cookie zh-CN wins over Accept-Language en');
    assert.equal(pickLocale({ cookie: 'fr', acceptLanguage: 'zh-CN' }), 'zh-CN', 'an unknown cookie value is ignored for Accept-Language');
    assert.equal(pickLocale({ cookie: 'zh-cn', acceptLanguage: 'en' }), 'en', 'a cookie value in the wrong case is not a known locale, and Accept-Language decides');
  });
});

describe('t', () => {
  test('fills placeholders and escapes nothing', () => {
    assert.equal(format('Hello {name} <{name}>', { name: '<b>&' }), 'Hello <b>& <<b>&>', 'placeholders are filled and nothing is escaped');
    assert.equal(format('{missing} stays', {}), '{missing} stays', 'a placeholder with no value stays as it is');
    assert.equal(t('en', 'lang.switchTo', { language: '简体中文' }), 'Switch the language to 简体中文', 'the English catalogue fills the language placeholder');
    assert.equal(t('zh-CN', 'lang.switchTo', { language: 'English' }), '将语言切换为English', 'the Chinese catalogue fills the language placeholder');
  });

  test('a translator over a site’s own catalogues', () => {
    const td = translator({ en: { hi: 'Hi {who}' }, 'zh-CN': { hi: '你好，{who}' } });
    assert.equal(td('zh-CN', 'hi', { who: 'A' }), '你好，A', 'a site\'s translator reads its Chinese catalogue');
    assert.equal(td('en', 'hi', { who: 'A' }), 'Hi A', 'a site\'s translator reads its English catalogue');
  });

  test('the catalogues have the same keys and the same placeholders', () => {
    assert.deepEqual(Object.keys(zhCN).sort(), Object.keys(en).sort(), 'the Chinese catalogue has the same keys as the English one');
    const holes = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      assert.deepEqual(holes(zhCN[key]), holes(en[key]), key);
    }
  });
});

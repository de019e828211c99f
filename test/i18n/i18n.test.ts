import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { en } from '../../src/i18n/en.ts';
import { format, pickLocale, t, translator } from '../../src/i18n/index.ts';
import { zhCN } from '../../src/i18n/zh-CN.ts';

describe('pickLocale', () => {
  test('defaults to English with nothing to go on', () => {
    assert.equal(pickLocale({}), 'en');
    assert.equal(pickLocale({ cookie: null, acceptLanguage: '' }), 'en');
    assert.equal(pickLocale({ acceptLanguage: 'fr-FR, de;q=0.8' }), 'en');
  });

  test('Accept-Language: Chinese in any region or script gets zh-CN', () => {
    for (const header of ['zh-CN', 'zh', 'zh-Hans-CN', 'zh-SG,en;q=0.5', 'ZH-cn', 'zh-TW']) {
      assert.equal(pickLocale({ acceptLanguage: header }), 'zh-CN', header);
    }
  });

  test('Accept-Language: q-values decide, not the order', () => {
    assert.equal(pickLocale({ acceptLanguage: 'en;q=0.4, zh-CN;q=0.9' }), 'zh-CN');
    assert.equal(pickLocale({ acceptLanguage: 'zh-CN;q=0.5, en-US;q=0.8' }), 'en');
    assert.equal(pickLocale({ acceptLanguage: 'fr, zh;q=0.3' }), 'zh-CN');
    assert.equal(pickLocale({ acceptLanguage: 'zh;q=0, en;q=0.1' }), 'en');
    assert.equal(pickLocale({ acceptLanguage: 'zh;q=0' }), 'en');
  });

  test('Accept-Language: among equal q-values the first listed wins', () => {
    assert.equal(pickLocale({ acceptLanguage: 'zh-CN, en' }), 'zh-CN');
    assert.equal(pickLocale({ acceptLanguage: 'en, zh-CN' }), 'en');
  });

  test('malformed headers fall back to English', () => {
    assert.equal(pickLocale({ acceptLanguage: ';;;,,,q=' }), 'en');
    assert.equal(pickLocale({ acceptLanguage: 'zh;q=abc' }), 'zh-CN');
    assert.equal(pickLocale({ acceptLanguage: `${'x,'.repeat(600)}zh` }), 'en');
  });

  test('the cookie wins over Accept-Language; an unknown cookie value is ignored', () => {
    assert.equal(pickLocale({ cookie: 'en', acceptLanguage: 'zh-CN' }), 'en');
    assert.equal(pickLocale({ cookie: 'zh-CN', acceptLanguage: 'en' }), 'zh-CN');
    assert.equal(pickLocale({ cookie: 'fr', acceptLanguage: 'zh-CN' }), 'zh-CN');
    assert.equal(pickLocale({ cookie: 'zh-cn', acceptLanguage: 'en' }), 'en');
  });
});

describe('t', () => {
  test('fills placeholders and escapes nothing', () => {
    assert.equal(format('Hello {name} <{name}>', { name: '<b>&' }), 'Hello <b>& <<b>&>');
    assert.equal(format('{missing} stays', {}), '{missing} stays');
    assert.equal(t('en', 'lang.switchTo', { language: '简体中文' }), 'Switch the language to 简体中文');
    assert.equal(t('zh-CN', 'lang.switchTo', { language: 'English' }), '将语言切换为English');
  });

  test('a translator over a site’s own catalogues', () => {
    const td = translator({ en: { hi: 'Hi {who}' }, 'zh-CN': { hi: '你好，{who}' } });
    assert.equal(td('zh-CN', 'hi', { who: 'A' }), '你好，A');
    assert.equal(td('en', 'hi', { who: 'A' }), 'Hi A');
  });

  test('the catalogues have the same keys and the same placeholders', () => {
    assert.deepEqual(Object.keys(zhCN).sort(), Object.keys(en).sort());
    const holes = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      assert.deepEqual(holes(zhCN[key]), holes(en[key]), key);
    }
  });
});

import type { Catalogue } from './index.ts';
import type { MessageKey } from './en.ts';

// Grantry's pages in Simplified Chinese, using the words of the notes the project grew from
// (授权, 应用, 回调地址, App Key, App Secret).

export const zhCN: Catalogue<MessageKey> = {
  'lang.label': '语言',
  'lang.switchTo': '将语言切换为{language}',
};

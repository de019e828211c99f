// Grantry's pages in English. The keys are the catalogue's contract: zh-CN.ts must have each of
// them (tsc fails otherwise). `{name}` is a placeholder filled by t().

export const en = {
  'lang.label': 'Language',
  'lang.switchTo': 'Switch the language to {language}',
} as const;

export type MessageKey = keyof typeof en;

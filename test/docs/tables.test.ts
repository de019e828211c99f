import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

// Markdown tables render only as blocks: a header row, a separator row, then rows with no blank
// line between. A row left after a paragraph (as two rows of the README's Endpoints table once
// were) renders as raw pipes. Every table of the README and docs/ is checked.

const root = fileURLToPath(new URL('../..', import.meta.url));
const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

test('every table row of the README and docs/*.md belongs to a table with a header and a separator', () => {
  const strays: string[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    let inCode = false;
    let blockStart = -1;
    lines.forEach((line, index) => {
      if (line.startsWith('```')) inCode = !inCode;
      if (inCode || !line.startsWith('|')) {
        blockStart = -1;
        return;
      }
      if (blockStart === -1) blockStart = index;
      // The block's second line must be the separator (|---|---|).
      const separator = lines[blockStart + 1] ?? '';
      if (!/^\|\s*:?-{3,}/.test(separator)) strays.push(`${file}:${index + 1}: ${line.slice(0, 60)}`);
    });
  }
  assert.deepEqual(strays, [], 'table rows outside a table with a header and a separator');
});

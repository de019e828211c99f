import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

// Screenshots of a browser journey's pages, kept as test artifacts (test-artifacts/ is ignored by
// git): a failed journey can be looked at page by page.

export const artifactsDir = join(process.cwd(), 'test-artifacts', 'journeys');

export class Shots {
  private count = 0;

  constructor(readonly journey: string) {
    mkdirSync(artifactsDir, { recursive: true });
  }

  /** Saves the page as <journey>-<nn>-<name>.png; returns the file's path. */
  async take(page: Page, name: string): Promise<string> {
    const path = join(artifactsDir, `${this.journey}-${String(++this.count).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  }
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { seriousAccessibilityProblems, type AxeFinding } from './browser-axe.ts';

// Screenshots of a browser journey's pages, kept as test artifacts (test-artifacts/ is ignored by
// git): a failed journey can be looked at page by page. Every page shot is also checked with axe,
// and for content wider than the window.

export const artifactsDir = join(process.cwd(), 'test-artifacts', 'journeys');

export class Shots {
  /** Pages shot so far. */
  count = 0;
  /** Serious and critical accessibility findings on the pages shot so far, by shot name. */
  readonly accessibility: Array<{ shot: string; url: string; findings: AxeFinding[] }> = [];
  /** Pages wider than the window (a reader would have to scroll sideways), by shot name. */
  readonly overflowing: Array<{ shot: string; url: string; width: number; window: number }> = [];

  constructor(readonly journey: string) {
    mkdirSync(artifactsDir, { recursive: true });
  }

  /** Saves the page as <journey>-<nn>-<name>.png and checks it with axe; returns the file's path. */
  async take(page: Page, name: string): Promise<string> {
    const shot = `${this.journey}-${String(++this.count).padStart(2, '0')}-${name}`;
    const path = join(artifactsDir, `${shot}.png`);
    await page.screenshot({ path, fullPage: true });
    const findings = await seriousAccessibilityProblems(page);
    if (findings.length > 0) this.accessibility.push({ shot, url: page.url(), findings });
    const { width, window } = await page.evaluate(() => ({ width: document.documentElement.scrollWidth, window: document.documentElement.clientWidth }));
    if (width > window) this.overflowing.push({ shot, url: page.url(), width, window });
    return path;
  }
}

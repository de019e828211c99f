import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Debian's Chromium, driven by playwright-core: nothing here downloads a browser of its own.
const executablePath = process.env.GRANTRY_CHROMIUM ?? '/usr/bin/chromium';

/** Launches headless Chromium, or fails saying how to get one: a browser test never skips in silence. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(`No Chromium at ${executablePath}. Install Debian's (apt-get install -y chromium) or set GRANTRY_CHROMIUM to a Chromium binary.`);
  }
  return chromium.launch({
    executablePath,
    // Without the background-networking flags Chromium keeps reaching for hosts this machine cannot reach.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

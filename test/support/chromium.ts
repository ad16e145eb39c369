// Debian's Chromium, driven by playwright-core, for the dashboard test and its screenshot script.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails with what to do when Chromium is missing: the dashboard's checks are not optional. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard needs Debian's Chromium to be checked (apt-get install chromium; .ci/run installs it)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

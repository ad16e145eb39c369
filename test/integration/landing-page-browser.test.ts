// The landing page in a real browser: what a person sees, and where its button takes them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext } from 'playwright-core';
import { saveProgram } from '../../db/programs.ts';
import { programInputSchema } from '../../domain/program.ts';
import { asPersonsChrome, launchChromium } from '../support/chromium.ts';
import { programInput } from '../support/program-fixtures.ts';
import { enrol, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(() => browser?.close());

const beans = '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180"><rect width="320" height="180" fill="#6f4e37"/></svg>';

/** A phone-sized browser; the program's image host and landing site are served here, since nothing outside this machine is. */
async function phone(): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: asPersonsChrome(browser), viewport: { width: 390, height: 844 } });
  await context.route('https://images.acme.example/**', (route) => route.fulfill({ contentType: 'image/svg+xml', body: beans }));
  await context.route('https://acme.example/**', (route) => route.fulfill({ contentType: 'text/html', body: '<h1>Sign up</h1>' }));
  return context;
}

/** The API refuses referee rewards until it can issue them; the page already describes them, so the program is stored directly. */
async function coffeeProgram(): Promise<string> {
  const programId = uniqueId('prog');
  const input = programInput({
    name: 'Acme Coffee',
    rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: { kind: 'coupon', percentOff: 20, duration: 'once' } },
    landing: {
      ...programInput().landing,
      headline: '{{referrerFirstName}} sent you a coffee',
      body: 'Fresh beans at your door every month.',
      imageUrl: 'https://images.acme.example/beans.svg',
    },
  });
  await saveProgram(stack.db, programId, programInputSchema.parse(input));
  return programId;
}

describe('the landing page in Chromium', () => {
  it('shows the program, the referrer and the offer, and its button leads to the landing URL with ref and rclid', async () => {
    const programId = await coffeeProgram();
    const referrer = await enrol(stack, programId, { name: 'Jane Doe' });
    const context = await phone();
    const page = await context.newPage();
    const complaints: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') complaints.push(message.text());
    });

    await page.goto(referrer.link);
    expect(await page.title()).toBe('Jane sent you a coffee · Acme Coffee');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Jane sent you a coffee');
    await expect(page.getByText('Acme Coffee', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('20% off your first order').isVisible()).resolves.toBe(true);
    await expect(page.getByText('Invited by Jane').isVisible()).resolves.toBe(true);
    // The stylesheet and the image got past the Content-Security-Policy.
    // (Page expressions as strings: this project's types know Node, not the DOM.)
    expect(await page.evaluate("document.querySelector('img').naturalWidth")).toBe(320);
    const button = page.getByRole('link', { name: 'Claim your offer' });
    expect(await page.evaluate("getComputedStyle(document.querySelector('a')).backgroundColor")).toBe('rgb(11, 87, 208)');
    expect(complaints).toEqual([]);

    const [cookie] = await context.cookies(stack.api);
    expect(cookie).toMatchObject({ name: 'rclid', value: expect.stringMatching(/^ck_/), httpOnly: true, sameSite: 'Lax' });
    await button.click();
    await page.waitForURL('https://acme.example/**');
    const landed = new URL(page.url());
    expect(`${landed.origin}${landed.pathname}`).toBe('https://acme.example/signup');
    expect(landed.searchParams.get('ref')).toBe(referrer.code);
    expect(landed.searchParams.get('rclid')).toBe(cookie?.value);
    expect(await page.getByRole('heading').textContent()).toBe('Sign up');

    const participant = await stack.call('GET', `/v1/programs/${programId}/participants/${referrer.externalId}`);
    expect(participant.body.counts.clicks).toBe(1);
    await context.close();
  });

  it('shows a hostile name as text, and runs none of it', async () => {
    const programId = await coffeeProgram();
    const referrer = await enrol(stack, programId, { name: '<img/src/onerror=alert(1)>Eve' });
    const context = await phone();
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });

    await page.goto(referrer.link);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('<img/src/onerror=alert(1)>Eve sent you a coffee');
    expect(await page.locator('img').count()).toBe(1);
    expect(dialogs).toEqual([]);
    await context.close();
  });
});

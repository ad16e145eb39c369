// The dashboard as a person sees it, in headless Chromium (Debian's, driven by playwright-core)
// against the real stack with a seeded program: nothing before signing in, the figures after.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.ts';
import { type Demo, seedDemo } from '../support/demo-data.ts';
import { useStack } from '../support/stack.ts';

const stack = useStack();
let browser: Browser;
let demo: Demo;
const keys: Record<'finance' | 'ops' | 'ingest', string> = { finance: '', ops: '', ingest: '' };

beforeAll(async () => {
  browser = await launchChromium();
  demo = await seedDemo(stack, stack.stripe);
  for (const scope of ['finance', 'ops', 'ingest'] as const) {
    keys[scope] = (await stack.call('POST', '/v1/api-keys', { body: { name: `dashboard ${scope}`, scopes: [scope] } })).body.key;
  }
}, 120_000);
afterAll(() => browser?.close());

/** A fresh tab on the dashboard, failing the test on any script error or refused resource (a CSP violation, say). */
async function openDashboard(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const response = await page.goto(`${stack.api}/dashboard`);
  expect(response?.status()).toBe(200);
  return { page, problems };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// Playwright's innerText is the rendered text, which is what a person reads (not a DOM node's textContent).
// biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the test checks
const cardValue = (page: Page, card: string) => page.locator(`[data-card="${card}"] .value`).innerText();

describe('the dashboard', () => {
  it('shows nothing but a sign-in form without a key, and refuses keys without the finance or ops scope', async () => {
    const { page, problems } = await openDashboard();
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('#dashboard').isVisible()).resolves.toBe(false);
    const html = await page.content();
    for (const secret of ['Jane Doe', 'jane', '$', demo.reconciliationRunId]) expect(html).not.toContain(secret);

    await signIn(page, 'rk_not_a_key');
    await page
      .getByRole('alert')
      .filter({ hasText: /^That key was refused: the API key is not known, or has been revoked$/ })
      .waitFor();
    await signIn(page, keys.ingest);
    await page
      .getByRole('alert')
      .filter({ hasText: /^That key was refused: this endpoint needs a key with one of the scopes: finance, ops$/ })
      .waitFor();
    await expect(page.locator('#dashboard').isVisible()).resolves.toBe(false);
    expect(problems.filter((problem) => !/status of 40[13]/.test(problem))).toEqual([]);
    await page.close();
  });

  it('shows a finance key the funnel, liabilities, review queue, top referrers and the latest reconciliation', async () => {
    const { page, problems } = await openDashboard();
    await signIn(page, keys.finance);
    await page.locator('body[data-loaded="true"]').waitFor();

    await expect(page.locator('#program').inputValue()).resolves.toBe(demo.programId);
    // Four rewards of $20 paid through Stripe; Omar's is earned and waits for ops.
    await expect(cardValue(page, 'earned')).resolves.toBe('$100.00');
    await expect(cardValue(page, 'paid')).resolves.toBe('$80.00');
    await expect(cardValue(page, 'owed')).resolves.toBe('$20.00');
    await expect(cardValue(page, 'pending')).resolves.toBe('$0.00');
    await expect(cardValue(page, 'review-queue')).resolves.toBe('1');
    await expect(cardValue(page, 'needs-attention')).resolves.toBe('1');

    const rows = await page.locator('#top-referrers tbody tr').allInnerTexts();
    expect(rows[0]?.split('\t')).toEqual(['jane', 'Jane Doe', '3', '3', '$60.00']);
    expect(rows.map((row) => row.split('\t')[0])).toEqual(['jane', 'sam', 'omar', 'ana']);

    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the test checks
    const reconciliation = await page.locator('#reconciliation').innerText();
    expect(reconciliation).toContain(`run ${demo.reconciliationRunId}`);
    expect(reconciliation).toContain('1 finding needs a person');
    expect(reconciliation).toMatch(
      /missing in stripe: reward \S+ \(2000 usd\) is earned in the ledger but was never paid through Stripe; .* Re-driven through the referral's own retry, which failed again for the same reason$/,
    );

    // The charts are drawn, from the funnel's figures: every click, referral, conversion and reward of the seed.
    // Evaluated in the page as text: this project's TypeScript has no DOM types.
    const funnel = await page.evaluate(
      `Object.fromEntries(Chart.getChart('funnel-chart').data.datasets.map((set) => [set.label, set.data.reduce((sum, n) => sum + n, 0)]))`,
    );
    expect(funnel).toEqual({ Clicks: 8, Referrals: 7, Conversions: 6, Rewards: 5 });
    const painted = await page.evaluate(`(() => {
      const canvas = document.getElementById('funnel-chart');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      return pixels.some((value, index) => index % 4 === 3 && value > 0);
    })()`);
    expect(painted).toBe(true);
    await expect(page.locator('#status-chart').isVisible()).resolves.toBe(true);

    // Signed in for the rest of the tab's life, until signing out.
    await page.reload();
    await page.locator('body[data-loaded="true"]').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('#dashboard').isVisible()).resolves.toBe(false);
    await expect(page.evaluate('sessionStorage.length')).resolves.toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets an ops key in too', async () => {
    const { page } = await openDashboard();
    await signIn(page, keys.ops);
    await page.locator('body[data-loaded="true"]').waitFor();
    await expect(cardValue(page, 'review-queue')).resolves.toBe('1');
    await page.close();
  });

  it('is served with a policy that runs our own scripts only', async () => {
    const page = await stack.call('GET', '/dashboard', { key: null });
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect([...(page.body as string).matchAll(/<script\b[^>]*>/g)].map(([tag]) => /src="([^"]+)"/.exec(tag)?.[1])).toEqual([
      '/dashboard/assets/chart.umd.min.js',
      '/dashboard/assets/app.js',
    ]);
    expect((await stack.call('GET', '/dashboard/assets/chart.umd.min.js', { key: null })).body).toContain('Chart');
    expect((await stack.call('GET', '/dashboard/assets/package.json', { key: null })).status).toBe(404);
  });
});

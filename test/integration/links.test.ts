import { describe, expect, it } from '@jest/globals';
import { type Kysely, sql } from 'kysely';
import { up as bringAppSchemesIn } from '../../db/migrations/0011-program-app-schemes.ts';
import { saveProgram } from '../../db/programs.ts';
import { type ProgramInput, programInputSchema } from '../../domain/program.ts';
import { programInput } from '../support/program-fixtures.ts';
import { createProgram, type Enrolled, enrol, uniqueId } from '../support/scenario.ts';
import { useStack } from '../support/stack.ts';
import { userAgents } from '../support/user-agents.ts';

const stack = useStack();

const landing = programInput().landing;
const app = { iosAppUrl: 'https://app.acme.example/open', androidAppUrl: 'https://app.acme.example/open' };

/** Follows a referral link as a browser (or a bot) would, without following the redirect. */
function follow(referrer: Enrolled, userAgent: string, headers: Record<string, string> = {}) {
  return stack.call('GET', new URL(referrer.link).pathname, { key: null, headers: { 'user-agent': userAgent, accept: 'text/html', ...headers } });
}

async function clicksOf(programId: string, referrer: Enrolled): Promise<number> {
  const response = await stack.call('GET', `/v1/programs/${programId}/participants/${referrer.externalId}`);
  return response.body.counts.clicks;
}

function claim(programId: string, body: Record<string, unknown>) {
  return stack.call('POST', `/v1/programs/${programId}/clicks/claim`, { body });
}

/** The API refuses referee rewards until it can issue them; the page already describes them, so these programs are stored directly. */
async function storeProgram(overrides: Partial<ProgramInput>): Promise<string> {
  const programId = uniqueId('prog');
  await saveProgram(stack.db, programId, programInputSchema.parse(programInput(overrides)));
  return programId;
}

describe('app links in a program', () => {
  it('refuse javascript:, data: and unlisted schemes, naming the field, and store nothing', async () => {
    const programId = uniqueId('prog');
    const put = (overrides: Record<string, unknown>) =>
      stack.call('PUT', `/v1/programs/${programId}`, { body: programInput({ landing: { ...landing, ...overrides } }) });

    const script = await put({ iosAppUrl: 'javascript:alert(1)' });
    expect(script.status).toBe(400);
    expect(script.body.errors).toEqual([{ path: 'landing.iosAppUrl', message: expect.stringContaining('javascript:') }]);
    expect((await put({ androidAppUrl: 'data:text/html,<script>alert(1)</script>' })).body.errors).toEqual([
      { path: 'landing.androidAppUrl', message: expect.stringContaining('data:') },
    ]);
    // A scheme the program forgot to list fits the published schema; it contradicts appSchemes, hence 422.
    const unlisted = await put({ iosAppUrl: 'acme://signup' });
    expect(unlisted.status).toBe(422);
    expect(unlisted.body.errors).toEqual([{ path: 'landing.iosAppUrl', message: expect.stringContaining('appSchemes') }]);
    expect((await put({ iosAppUrl: 'javascript:alert(1)', appSchemes: ['javascript'] })).body.errors).toEqual([
      { path: 'landing.iosAppUrl', message: expect.stringContaining('never allowed') },
      { path: 'landing.appSchemes.0', message: expect.stringContaining('never allowed') },
    ]);
    expect((await stack.call('GET', `/v1/programs/${programId}`)).status).toBe(404);

    const accepted = await put({ iosAppUrl: 'acme://signup', androidAppUrl: 'https://app.acme.example/open', appSchemes: ['acme'] });
    expect(accepted).toMatchObject({ status: 201, body: { landing: { iosAppUrl: 'acme://signup', appSchemes: ['acme'], claimWindow: 'PT2H' } } });
  });

  it('send phones to https app links with ref and rclid, and link previews to the web', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, ...app } });
    const referrer = await enrol(stack, programId);
    for (const phone of [userAgents.iPhone, userAgents.android]) {
      const location = new URL((await follow(referrer, phone)).headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe('https://app.acme.example/open');
      expect(location.searchParams.get('ref')).toBe(referrer.code);
      expect(location.searchParams.get('rclid')).toMatch(/^ck_/);
    }
    const preview = await follow(referrer, userAgents.whatsApp);
    expect(preview.status).toBe(200);
    expect(preview.body).toContain(`href="https://acme.example/signup?ref=${referrer.code}"`);
  });

  it('keep programs stored before app schemes existed loading, with defaults for the new settings', async () => {
    // A program as the API stored it before: its landing settings end at the app URLs.
    const { landing: _, ...terms } = programInputSchema.parse(programInput());
    const stored = (id: string, appUrls: Record<string, string>) => ({
      id,
      version: 1,
      config: JSON.stringify({ ...terms, landing: { ...landing, iosAppUrl: null, androidAppUrl: null, ...appUrls } }),
    });
    const custom = uniqueId('prog');
    const plain = uniqueId('prog');
    await stack.db
      .insertInto('programs')
      .values([stored(custom, { iosAppUrl: 'acme://signup', androidAppUrl: 'javascript:alert(1)' }), stored(plain, {})])
      .execute();

    await bringAppSchemesIn(stack.db as unknown as Kysely<unknown>);

    const migrated = await stack.call('GET', `/v1/programs/${custom}`);
    expect(migrated).toMatchObject({
      status: 200,
      body: { version: 2, landing: { iosAppUrl: 'acme://signup', androidAppUrl: null, appSchemes: ['acme'], claimWindow: 'PT2H', template: 'card' } },
    });
    const untouched = await stack.call('GET', `/v1/programs/${plain}`);
    expect(untouched).toMatchObject({ status: 200, body: { version: 1, landing: { appSchemes: [], claimWindow: 'PT2H', body: null, imageUrl: null } } });
  });
});

describe('deferred deep linking', () => {
  const fromHere = (platform: 'ios' | 'android', userAgent = platform === 'ios' ? userAgents.iosApp : userAgents.androidApp) => ({
    ip: '127.0.0.1',
    userAgent,
    platform,
  });

  it('gives an app opened after install the click that brought it, once', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, ...app } });
    const referrer = await enrol(stack, programId);
    const tapped = new URL((await follow(referrer, userAgents.iPhone)).headers.get('location') ?? '');
    const clickId = tapped.searchParams.get('rclid');

    expect(await claim(programId, fromHere('android'))).toMatchObject({ status: 404 });
    expect(await claim(programId, fromHere('ios'))).toEqual(expect.objectContaining({ status: 200, body: { clickId, code: referrer.code } }));
    expect(await claim(programId, fromHere('ios'))).toMatchObject({ status: 404, body: { detail: expect.stringContaining('PT2H') } });

    const referral = await stack.call('POST', `/v1/programs/${programId}/referrals`, {
      body: { clickId, referee: { externalId: uniqueId('app-user'), email: 'new@example.org' } },
    });
    expect(referral).toMatchObject({ status: 201, body: { referrerId: referrer.participantId } });
    await stack.call('POST', `/v1/referrals/${referral.body.referralId}/cancel`, { body: { reason: 'test over' } });
  });

  it('reports ambiguity with the number of candidates instead of guessing', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, ...app } });
    const [jane, joe] = [await enrol(stack, programId), await enrol(stack, programId)];
    await follow(jane, userAgents.iPhone);
    await follow(joe, userAgents.iPhone.replace('18_0', '17_5'));

    const ambiguous = await claim(programId, fromHere('ios'));
    expect(ambiguous).toMatchObject({ status: 409, body: { status: 409, candidates: 2, detail: expect.stringContaining('2 unclaimed clicks') } });
    expect(ambiguous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const claimed = await stack.db.selectFrom('clicks').select('id').where('program_id', '=', programId).where('claimed_at', 'is not', null).execute();
    expect(claimed).toEqual([]);
  });

  it('matches an IPv6 /64 and the claim window, and no other network', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, ...app } });
    const referrer = await enrol(stack, programId);
    const record = (ip: string) => stack.call('POST', `/v1/programs/${programId}/clicks`, { body: { code: referrer.code, ip, userAgent: userAgents.android } });
    const click = await record('2001:db8:1:2::aaaa');
    await record('198.51.100.7');
    await stack.db
      .updateTable('clicks')
      .set({ created_at: sql`now() - interval '3 hours'` })
      .where('program_id', '=', programId)
      .where('ip', '=', '198.51.100.7')
      .execute();

    expect(await claim(programId, { ...fromHere('android'), ip: '2001:db8:1:3::1' })).toMatchObject({ status: 404 });
    expect(await claim(programId, { ...fromHere('android'), ip: '198.51.100.7' })).toMatchObject({ status: 404 });
    expect(await claim(programId, { ...fromHere('android'), ip: '2001:db8:1:2:ffff::1' })).toMatchObject({
      status: 200,
      body: { clickId: click.body.clickId, code: referrer.code },
    });
  });

  it('hands a click to exactly one of many claims made at the same moment', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, ...app } });
    const referrer = await enrol(stack, programId);
    for (let round = 0; round < 3; round++) {
      const tapped = new URL(
        (await follow(referrer, userAgents.iPhone, { 'user-agent': `${userAgents.iPhone} round/${round}` })).headers.get('location') ?? '',
      );
      const answers = await Promise.all(Array.from({ length: 8 }, () => claim(programId, fromHere('ios'))));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 404, 404, 404, 404, 404, 404, 404]);
      expect(answers.find((answer) => answer.status === 200)?.body.clickId).toBe(tapped.searchParams.get('rclid'));
    }
    const claimed = await stack.db.selectFrom('clicks').select('id').where('program_id', '=', programId).where('claimed_at', 'is not', null).execute();
    expect(claimed).toHaveLength(3);
  });

  it('refuses a claim that contradicts itself or names no program', async () => {
    const programId = await createProgram(stack);
    const mixed = await claim(programId, { ...fromHere('ios'), userAgent: userAgents.android });
    expect(mixed).toMatchObject({ status: 422, body: { errors: [{ path: 'userAgent', message: expect.stringContaining('android') }] } });
    expect((await claim(programId, { ...fromHere('ios'), platform: 'windows' })).status).toBe(400);
    expect((await claim(uniqueId('none'), fromHere('ios'))).status).toBe(404);
  });
});

describe('clicks that count', () => {
  it('are not made by crawlers and link previews, which still get the page with its preview tags', async () => {
    const programId = await createProgram(stack);
    const referrer = await enrol(stack, programId);
    const { slackbot, facebook, iMessage, whatsApp, googlebot } = userAgents;
    for (const bot of [slackbot, facebook, iMessage, whatsApp, googlebot, 'Twitterbot/1.0']) {
      const preview = await follow(referrer, bot, { accept: '*/*' });
      expect(preview.status).toBe(200);
      expect(preview.headers.get('set-cookie')).toBeNull();
      expect(preview.body).toContain('<meta property="og:title" content="Jane gave you 20% off">');
      expect(preview.body).toContain(`<meta property="og:url" content="${referrer.link}">`);
      expect(preview.body).not.toContain('rclid');
    }
    expect(await clicksOf(programId, referrer)).toBe(0);
  });

  it('are not made by a bot or a HEAD request on a link without a page', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, headline: null } });
    const referrer = await enrol(stack, programId);
    const bot = await follow(referrer, userAgents.slackbot);
    expect(bot.status).toBe(302);
    expect(bot.headers.get('location')).toBe(`https://acme.example/signup?ref=${referrer.code}`);
    expect(bot.headers.get('set-cookie')).toBeNull();
    const head = await stack.call('HEAD', new URL(referrer.link).pathname, { key: null, headers: { 'user-agent': userAgents.desktop } });
    expect(head.status).toBe(302);
    expect(head.headers.get('set-cookie')).toBeNull();
    expect(await clicksOf(programId, referrer)).toBe(0);
  });

  it('count a browser once inside the repeat window, by its cookie or its address and user agent', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, headline: null } });
    const referrer = await enrol(stack, programId);
    const clickOf = (response: { headers: Headers }) => new URL(response.headers.get('location') ?? '').searchParams.get('rclid');

    const first = await follow(referrer, userAgents.desktop);
    const cookie = first.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(clickOf(await follow(referrer, userAgents.desktop, { cookie }))).toBe(clickOf(first));
    expect(clickOf(await follow(referrer, userAgents.desktop))).toBe(clickOf(first));
    const together = await Promise.all(Array.from({ length: 5 }, () => follow(referrer, userAgents.android)));
    expect(new Set(together.map(clickOf)).size).toBe(1);
    expect(await clicksOf(programId, referrer)).toBe(2);

    await stack.db.updateTable('clicks').set({ created_at: sql`now() - interval '31 minutes'` }).where('participant_id', '=', referrer.participantId).execute();
    expect(clickOf(await follow(referrer, userAgents.desktop, { cookie }))).not.toBe(clickOf(first));
    expect(await clicksOf(programId, referrer)).toBe(3);
  });

  it('count the same browser again on another referrer’s link', async () => {
    const programId = await createProgram(stack, { landing: { ...landing, headline: null } });
    const [jane, joe] = [await enrol(stack, programId), await enrol(stack, programId)];
    const first = await follow(jane, userAgents.desktop);
    const cookie = first.headers.get('set-cookie')?.split(';')[0] ?? '';
    await follow(joe, userAgents.desktop, { cookie });
    expect([await clicksOf(programId, jane), await clicksOf(programId, joe)]).toEqual([1, 1]);
  });
});

describe('landing pages', () => {
  const referee = { kind: 'coupon' as const, percentOff: 20, duration: 'once' as const };

  it('name the program, the referrer and the offer, and preview well', async () => {
    const programId = await storeProgram({
      name: 'Acme Coffee',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee },
      landing: {
        ...landing,
        body: 'Fresh beans every month.\n\nCancel any time.',
        imageUrl: 'https://images.acme.example/beans.jpg',
        template: 'banner',
      },
    });
    const referrer = await enrol(stack, programId, { name: 'Jane Doe' });
    const page = await follow(referrer, userAgents.desktop);

    expect(page.status).toBe(200);
    expect(page.body).toContain('<p class="brand">Acme Coffee</p>');
    expect(page.body).toContain('<h1>Jane gave you 20% off</h1>');
    expect(page.body).toContain('<p class="offer">20% off your first order</p>');
    expect(page.body).toContain('<p>Fresh beans every month.</p>\n<p>Cancel any time.</p>');
    expect(page.body).toContain('<p class="fine">Invited by Jane</p>');
    expect(page.body).toContain('<body class="banner">');
    expect(page.body).toContain('<meta property="og:image" content="https://images.acme.example/beans.jpg">');
    expect(page.body).toContain('<meta name="twitter:card" content="summary_large_image">');
    expect(page.body).toContain('<meta property="og:description" content="20% off your first order. Fresh beans every month.');
    expect(page.body).toMatch(new RegExp(`<a class="cta" href="https://acme.example/signup\\?ref=${referrer.code}&amp;rclid=ck_[\\w-]+">Claim your offer</a>`));
    expect(page.body).not.toContain('<script');

    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain('img-src https://images.acme.example;');
    expect(policy).not.toContain('script-src');
    expect(policy).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('render hostile names and text as text', async () => {
    const programId = await storeProgram({
      name: 'Acme "><script>alert(1)</script>',
      rewards: { referrer: { kind: 'account_credit', amount: 2000 }, referee: { kind: 'coupon', amountOff: 1050, duration: 'repeating', durationInMonths: 3 } },
      landing: { ...landing, headline: 'Hi from {{referrerFirstName}}', body: '<img src=x onerror=alert(1)>' },
    });
    const referrer = await enrol(stack, programId, { name: '"><script>alert(2)</script> Smith' });
    const page = await follow(referrer, userAgents.desktop);

    expect(page.status).toBe(200);
    expect(page.body).not.toMatch(/<script|<img src=x/);
    expect(page.body).toContain('<h1>Hi from &quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</h1>');
    expect(page.body).toContain('<p class="brand">Acme &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(page.body).toContain('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(page.body).toContain('<meta property="og:site_name" content="Acme &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">');
    expect(page.body).toContain('<p class="offer">$10.50 off for your first 3 months</p>');
  });

  it('show a browser a friendly page for an unknown code, and API clients problem details', async () => {
    const page = await stack.call('GET', '/r/NOSUCHCODE', {
      key: null,
      headers: { accept: 'text/html,application/xhtml+xml', 'user-agent': userAgents.desktop },
    });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.body).toContain('<h1>This invitation link does not work</h1>');

    const api = await stack.call('GET', '/r/NOSUCHCODE', { key: null, headers: { accept: 'application/json' } });
    expect(api).toMatchObject({ status: 404, body: { type: 'urn:referral-engine:problem:not_found', detail: expect.stringContaining('NOSUCHCODE') } });
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('are described in /openapi.json with both answers to an unknown code', async () => {
    const { body } = await stack.call('GET', '/openapi.json', { key: null });
    expect(Object.keys(body.paths['/r/{code}'].get.responses['404'].content).sort()).toEqual(['application/problem+json', 'text/html']);
    const claimOperation = body.paths['/v1/programs/{programId}/clicks/claim'].post;
    expect(claimOperation.requestBody.content['application/json'].schema.required).toEqual(['ip', 'userAgent', 'platform']);
    expect(claimOperation.responses['409'].content['application/problem+json'].schema.required).toContain('candidates');
    const program = body.paths['/v1/programs/{programId}'].put.requestBody.content['application/json'].schema;
    expect(Object.keys(program.properties.landing.properties).sort()).toEqual(
      ['allowedRedirectHosts', 'androidAppUrl', 'appSchemes', 'body', 'claimWindow', 'headline', 'imageUrl', 'iosAppUrl', 'template', 'url'].sort(),
    );
  });
});

// Referral links (/r/:code), server-side click tracking, and the claim an app makes on its first
// launch to learn which link brought it (deferred deep linking).
import type { Request, Response } from 'express';
import { isbot } from 'isbot';
import { z } from 'zod';
import { claimClick, recordBrowserClick, recordClick } from '../../db/clicks.ts';
import { findParticipantByCode } from '../../db/participants.ts';
import { findProgram } from '../../db/programs.ts';
import { platformOf, platformSchema } from '../../domain/click-origin.ts';
import { codeParamSchema } from '../../domain/codes.ts';
import { durationMs } from '../../domain/duration.ts';
import { type Program, programIdSchema } from '../../domain/program.ts';
import { describeRefereeOffer } from '../../domain/referee-offer.ts';
import { referralLink } from '../../domain/referral-link.ts';
import { textSchema } from '../../domain/text.ts';
import { webUrlSchema } from '../../domain/urls.ts';
import type { ApiDeps } from '../deps.ts';
import { conflict, notFound, problemSchema, unprocessable } from '../errors.ts';
import { firstNameOf, landingPage, notFoundPage, personalise, type RenderedPage } from '../landing-page.ts';
import { requireProgram } from '../require-program.ts';
import { defineRoute } from '../route.ts';

/** Where a click goes: an allowed URL the caller asked for, else the program's landing URL. */
function destination(program: Program, requested: string | undefined): URL {
  if (requested === undefined) return new URL(program.landing.url);
  const url = new URL(requested);
  if (!program.landing.allowedRedirectHosts.includes(url.host)) {
    throw unprocessable(`"to" must be on one of the program's allowed hosts: ${program.landing.allowedRedirectHosts.join(', ')}`, [
      { path: 'query.to', message: `${url.host} is not one of the program's allowed hosts` },
    ]);
  }
  return url;
}

/** A user agent, as the click records keep it. */
const userAgentSchema = textSchema({ min: 0, max: 1024 });

function withAttribution(url: string | URL, code: string, clickId: string | null): string {
  const target = new URL(url);
  target.searchParams.set('ref', code);
  if (clickId !== null) target.searchParams.set('rclid', clickId);
  return target.toString();
}

/** Crawlers, link-preview fetchers and anything that does not name itself: shown the link, never counted. */
function isRobot(userAgent: string): boolean {
  return userAgent.trim() === '' || isbot(userAgent);
}

/** The click id this browser was given by an earlier click, if it sends one. */
function rclidCookie(req: Request): string | null {
  const value = /(?:^|;\s*)rclid=([^;]*)/.exec(req.get('cookie') ?? '')?.[1];
  return value && /^ck_[\w-]{1,64}$/.test(value) ? value : null;
}

function sendPage(res: Response, status: number, page: RenderedPage): void {
  res.status(status).set(page.headers).type('html').send(page.html);
}

const claimedSchema = z.object({ clickId: z.string(), code: z.string() });

export function linkRoutes(deps: ApiDeps) {
  const { db } = deps;

  return [
    defineRoute({
      method: 'get',
      path: '/r/:code',
      summary:
        "A referral link. Records a person's click (crawlers, link previews, HEAD requests and repeats from one browser within 30 minutes are not counted), sets the rclid cookie, and redirects to the program's landing URL with ref and rclid added; browsers and link previews get a personalised page when the program has a headline, and phones go to the app URLs where configured.",
      tag: 'Links',
      access: 'public',
      params: z.object({ code: codeParamSchema }),
      query: z.object({ to: webUrlSchema.optional().describe("a URL on one of the program's allowed hosts to land on instead") }),
      headers: z.object({ 'user-agent': userAgentSchema.optional().describe('kept with the click') }),
      limitedPerNetwork: true,
      responses: {
        200: { description: 'A personalised landing page', contentType: 'text/html', schema: z.string() },
        302: { description: 'A redirect to the landing URL (or app URL) with ref, and rclid when the click was counted' },
        422: { description: '"to" is not on one of the program\'s allowed hosts' },
        404: { description: 'No such code: a page for browsers, problem details for API clients', alsoAs: { 'text/html': z.string() } },
      },
      async handle({ params, query, headers, req, res }) {
        res.set('Referrer-Policy', 'strict-origin-when-cross-origin').set('X-Content-Type-Options', 'nosniff');
        const referrer = await findParticipantByCode(db, params.code);
        const program = referrer ? await findProgram(db, referrer.programId) : null;
        if (!referrer || !program) {
          if (req.accepts(['json', 'html']) === 'html') return sendPage(res, 404, notFoundPage());
          throw notFound(`no referral code "${params.code}"`);
        }
        const userAgent = headers['user-agent'] ?? '';
        const robot = isRobot(userAgent);
        const platform = platformOf(userAgent);
        // Previews are of the web page: an app link means nothing to a crawler.
        const appUrl = robot ? null : platform === 'ios' ? program.landing.iosAppUrl : platform === 'android' ? program.landing.androidAppUrl : null;
        const target = appUrl ?? destination(program, query.to).toString();
        const counted = !robot && req.method === 'GET';
        const clickId = counted
          ? await recordBrowserClick(
              db,
              { programId: program.programId, participantId: referrer.participantId, ip: req.ip ?? null, userAgent, landingUrl: target },
              rclidCookie(req),
            )
          : null;
        const location = withAttribution(target, referrer.code, clickId);
        res.set('Cache-Control', 'no-store');
        if (clickId !== null) {
          res.cookie('rclid', clickId, {
            httpOnly: true,
            sameSite: 'lax',
            secure: deps.publicBaseUrl.startsWith('https:'),
            maxAge: durationMs(program.attribution.cookieTtl),
            path: '/',
          });
        }
        const wantsPage = robot ? req.accepts('html') !== false : req.accepts(['json', 'html']) === 'html';
        if (!appUrl && program.landing.headline && wantsPage) {
          const { landing } = program;
          return sendPage(
            res,
            200,
            landingPage({
              programName: program.name,
              headline: personalise(program.landing.headline, referrer.name),
              referrerFirstName: firstNameOf(referrer.name),
              offer: describeRefereeOffer(program.rewards.referee, program.currency),
              body: landing.body === null ? null : personalise(landing.body, referrer.name),
              imageUrl: landing.imageUrl,
              template: landing.template,
              target: location,
              shareUrl: referralLink(deps.publicBaseUrl, referrer.code),
            }),
          );
        }
        res.redirect(302, location);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/clicks',
      summary: 'Record a click server-to-server, for backends that host their own landing pages',
      tag: 'Links',
      access: ['ingest'],
      params: z.object({ programId: programIdSchema }),
      body: z.strictObject({
        code: codeParamSchema,
        ip: z.union([z.ipv4(), z.ipv6()]).optional(),
        userAgent: userAgentSchema.optional(),
        landingUrl: webUrlSchema.optional(),
      }),
      responses: {
        201: { description: 'The click', schema: z.object({ clickId: z.string() }) },
        422: { description: 'The code does not belong to this program' },
      },
      async handle({ params: { programId }, body }) {
        const referrer = await findParticipantByCode(db, body.code);
        if (!referrer || referrer.programId !== programId) throw unprocessable(`no referral code "${body.code}" in program "${programId}"`);
        const clickId = await recordClick(db, {
          programId,
          participantId: referrer.participantId,
          ip: body.ip ?? null,
          userAgent: body.userAgent ?? null,
          landingUrl: body.landingUrl ?? null,
        });
        return { status: 201, body: { clickId } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/programs/:programId/clicks/claim',
      summary:
        "Deferred deep linking: an app opened for the first time after install asks which referral link brought it. Answers the most recent unclaimed click from the same network (the IPv4 address, or the IPv6 /64) and platform inside the program's claim window, once.",
      tag: 'Links',
      access: ['ingest'],
      params: z.object({ programId: programIdSchema }),
      body: z.strictObject({
        ip: z.union([z.ipv4(), z.ipv6()]).describe('the address the app reached your backend from'),
        userAgent: textSchema({ max: 1024 }).describe("the app's user agent"),
        platform: platformSchema,
      }),
      responses: {
        200: { description: 'The click, now claimed: attribute the new user with its clickId', schema: claimedSchema },
        404: { description: "No unclaimed click from this network and platform inside the program's claim window (or no such program)" },
        409: {
          description: 'More than one click matches, so none is given; candidates says how many',
          schema: problemSchema.extend({ candidates: z.number().int() }),
        },
      },
      async handle({ params: { programId }, body }) {
        const program = await requireProgram(db, programId);
        const named = platformOf(body.userAgent);
        if (named !== 'web' && named !== body.platform) {
          throw unprocessable('the user agent and the platform disagree', [
            { path: 'userAgent', message: `names ${named}, but "platform" is ${body.platform}` },
          ]);
        }
        const result = await claimClick(db, { programId, ip: body.ip, platform: body.platform, windowMs: durationMs(program.landing.claimWindow) });
        if (result.outcome === 'ambiguous') {
          throw conflict(`${result.candidates} unclaimed clicks from this network and platform; none is given, so no referral is guessed`, {
            candidates: result.candidates,
          });
        }
        if (result.outcome === 'none') throw notFound(`no unclaimed click from this network and platform in the last ${program.landing.claimWindow}`);
        return { status: 200, body: { clickId: result.clickId, code: result.code } };
      },
    }),
  ];
}

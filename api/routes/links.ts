import type { Request } from 'express';
import { z } from 'zod';
import { recordClick } from '../../db/clicks.ts';
import { findParticipantByCode } from '../../db/participants.ts';
import { findProgram } from '../../db/programs.ts';
import { codeParamSchema } from '../../domain/codes.ts';
import { durationMs } from '../../domain/duration.ts';
import { type Program, programIdSchema } from '../../domain/program.ts';
import type { ApiDeps } from '../deps.ts';
import { badRequest, notFound, unprocessable } from '../errors.ts';
import { landingPage, personalise } from '../landing-page.ts';
import { defineRoute } from '../route.ts';

type Platform = 'ios' | 'android' | 'web';

function platformOf(userAgent: string): Platform {
  if (/iPhone|iPad|iPod/i.test(userAgent)) return 'ios';
  if (/Android/i.test(userAgent)) return 'android';
  return 'web';
}

/** Where a click goes: an allowed URL the caller asked for, else the program's landing URL. */
function destination(program: Program, requested: string | undefined): URL {
  if (requested === undefined) return new URL(program.landing.url);
  const url = URL.canParse(requested) ? new URL(requested) : null;
  if (!url || !/^https?:$/.test(url.protocol) || !program.landing.allowedRedirectHosts.includes(url.host)) {
    throw badRequest(`"to" must be an http(s) URL on one of the program's allowed hosts: ${program.landing.allowedRedirectHosts.join(', ')}`);
  }
  return url;
}

function withAttribution(url: string | URL, code: string, clickId: string): string {
  const target = new URL(url);
  target.searchParams.set('ref', code);
  target.searchParams.set('rclid', clickId);
  return target.toString();
}

export function linkRoutes(deps: ApiDeps) {
  const { db } = deps;
  const clientIp = (req: Request) => req.ip ?? null;

  return [
    defineRoute({
      method: 'get',
      path: '/r/:code',
      summary:
        "A referral link. Records the click, sets the rclid cookie, and redirects to the program's landing URL with ref and rclid added; browsers see a personalised page when the program has a headline, and phones go to the app URLs where configured.",
      tag: 'Links',
      access: 'public',
      params: z.object({ code: codeParamSchema }),
      query: z.object({ to: z.string().optional().describe("a URL on one of the program's allowed hosts to land on instead") }),
      responses: {
        200: { description: 'A personalised landing page', contentType: 'text/html', schema: z.string() },
        302: { description: 'A redirect to the landing URL (or app URL) with ref and rclid' },
        400: { description: '"to" is not on an allowed host' },
        404: { description: 'No such code' },
      },
      async handle({ params, query, req, res }) {
        const referrer = await findParticipantByCode(db, params.code);
        const program = referrer ? await findProgram(db, referrer.programId) : null;
        if (!referrer || !program) throw notFound(`no referral code "${params.code}"`);
        const userAgent = req.get('user-agent') ?? '';
        const platform = platformOf(userAgent);
        const appUrl = platform === 'ios' ? program.landing.iosAppUrl : platform === 'android' ? program.landing.androidAppUrl : null;
        const target = appUrl ?? destination(program, query.to).toString();
        const clickId = await recordClick(db, {
          programId: program.programId,
          participantId: referrer.participantId,
          ip: clientIp(req),
          userAgent,
          landingUrl: target,
        });
        const location = withAttribution(target, referrer.code, clickId);
        res
          .set('Cache-Control', 'no-store')
          .set('Referrer-Policy', 'strict-origin-when-cross-origin')
          .cookie('rclid', clickId, {
            httpOnly: true,
            sameSite: 'lax',
            secure: deps.publicBaseUrl.startsWith('https:'),
            maxAge: durationMs(program.attribution.cookieTtl),
            path: '/',
          });
        if (!appUrl && program.landing.headline && req.accepts(['json', 'html']) === 'html') {
          res
            .status(200)
            .type('html')
            .send(landingPage(personalise(program.landing.headline, referrer.name), location));
          return;
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
        userAgent: z.string().max(1024).optional(),
        landingUrl: z.url().optional(),
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
  ];
}

// Configuration, read once from the environment and validated; a bad value stops start-up with a
// message that names the variable.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { checkDuration } from '../domain/duration.ts';
import { parsePayloadKeys } from './payload-keys.ts';

const port = z.coerce.number().int().min(1).max(65_535);
const httpUrl = z.url({ protocol: /^https?$/ });
const existingFile = z.string().refine((file) => existsSync(file), 'no such file');
const flag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((value) => value === 'true');
/** An ISO 8601 duration, as milliseconds. */
const duration = z.string().transform((text, context) => {
  const checked = checkDuration(text);
  if (checked.ok) return checked.ms;
  context.addIssue({ code: 'custom', message: checked.message });
  return z.NEVER;
});
const count = z.coerce.number().int().min(1);
/** PAYLOAD_KEYS, as a keyring; see payload-keys.ts. */
const payloadKeys = z.string().transform((text, context) => {
  const checked = parsePayloadKeys(text);
  if (checked.ok) return checked.keyring;
  context.addIssue({ code: 'custom', message: checked.message });
  return z.NEVER;
});
const pem = z.string().includes('-----BEGIN ', { error: 'expected PEM text (-----BEGIN …)' });
/** "<requests>/<ISO 8601 window>", e.g. "6000/PT1M", or "off". */
const rateLimit = z.string().transform((text, context) => {
  if (text === 'off') return null;
  const match = /^([1-9][0-9]{0,8})\/(P\S+)$/.exec(text);
  const window = match ? checkDuration(match[2] ?? '') : null;
  if (!match || !window?.ok || window.ms < 1000 || window.ms % 1000 !== 0) {
    context.addIssue({ code: 'custom', message: 'expected "<requests>/<window>" with a window of whole seconds, e.g. "6000/PT1M", or "off"' });
    return z.NEVER;
  }
  return { points: Number(match[1]), durationMs: window.ms };
});
/** Origins as a browser sends them (scheme, host, port), comma-separated. */
const origins = z.string().transform((text, context) => {
  const list = text
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of list) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      context.addIssue({ code: 'custom', message: `"${origin}" is not an origin such as "https://app.acme.example" (no path, no trailing slash)` });
    }
  }
  return list;
});

/**
 * How to reach Temporal: the variables of Temporal's own environment configuration
 * (`@temporalio/envconfig`, which the Temporal CLI reads too). A client certificate, its key and the
 * server's CA certificate each come as a file (`_PATH`) or as PEM text (`_DATA`).
 */
const envconfigSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port, e.g. "localhost:7233"')
    .optional(),
  // No default here: it would override a namespace named by TEMPORAL_PROFILE. Unset means "default".
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: existingFile.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: existingFile.optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: pem.optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: existingFile.optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: pem.optional(),
});

/** What envconfig is given as its environment: only values validated here, with empty ones unset. */
export const envconfigVariables = envconfigSchema.keyof().options;

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: port.default(3000),
    PUBLIC_BASE_URL: httpUrl.optional(),
    DATA_DIR: z.string().min(1).default('.data'),
    EMBEDDED_POSTGRES_PORT: port.default(5433),
    TEMPORAL_PORT: port.default(7233),
    TEMPORAL_UI_PORT: port.default(8233),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// connection URL' }).optional(),
    ...envconfigSchema.shape,
    TEMPORAL_CONFIG_FILE: existingFile.optional(),
    TEMPORAL_PROFILE: z.string().min(1).optional(),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('referrals'),
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_/, 'expected a Stripe secret or restricted key (sk_… or rk_…)')
      .optional(),
    STRIPE_API_BASE: httpUrl.optional(),
    HUBSPOT_ACCESS_TOKEN: z.string().min(1).optional(),
    HUBSPOT_API_BASE: httpUrl.optional(),
    // Each CRM activity makes at most two HubSpot requests; 4 a second is at most 80 requests in ten
    // seconds, under a private app's 100, and at most 4 searches a second, under the search API's 5.
    HUBSPOT_ACTIVITIES_PER_SECOND: z.coerce
      .number({ error: 'expected a number of activities per second, e.g. 4' })
      .positive('must be above 0')
      .max(50, 'at most 50: each activity may make two HubSpot requests, and no HubSpot app is allowed 100 a second')
      .default(4),
    ADMIN_API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
    IP_COUNTRY_DB: existingFile.optional(),
    TRUST_PROXY: flag,
    STRIPE_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_/, 'expected a Stripe webhook signing secret (whsec_…)')
      .optional(),
    WEBHOOK_ALLOW_PRIVATE_URLS: flag,
    WEBHOOK_TIMEOUT: duration.default(10_000),
    WEBHOOK_RETRY_INITIAL_INTERVAL: duration.default(10_000),
    WEBHOOK_RETRY_WINDOW: duration.default(3 * 86_400_000),
    PAYLOAD_KEYS: payloadKeys.optional(),
    CODEC_CORS_ORIGINS: origins.default([]),
    RATE_LIMIT_API_KEY: rateLimit.default({ points: 6000, durationMs: 60_000 }),
    RATE_LIMIT_LINK: rateLimit.default({ points: 300, durationMs: 60_000 }),
    RATE_LIMIT_AUTH_FAILURES: rateLimit.default({ points: 20, durationMs: 15 * 60_000 }),
    CORS_ALLOWED_ORIGINS: origins.default([]),
    // Worker tuning (README, Performance): unset means the SDK's default, which measured best on two cores.
    WORKER_MAX_CACHED_WORKFLOWS: count.optional(),
    WORKER_WORKFLOW_TASK_SLOTS: count.optional(),
    WORKER_ACTIVITY_SLOTS: count.optional(),
    WORKER_LOCAL_ACTIVITY_SLOTS: count.optional(),
    WORKER_WORKFLOW_POLLERS: count.optional(),
    WORKER_ACTIVITY_POLLERS: count.optional(),
  })
  .superRefine((env, context) => {
    for (const file of ['SERVER_CA_CERT', 'CLIENT_CERT', 'CLIENT_KEY'] as const) {
      if (env[`TEMPORAL_TLS_${file}_PATH`] && env[`TEMPORAL_TLS_${file}_DATA`]) {
        context.addIssue({
          code: 'custom',
          path: [`TEMPORAL_TLS_${file}_DATA`],
          message: `set TEMPORAL_TLS_${file}_PATH or TEMPORAL_TLS_${file}_DATA, not both`,
        });
      }
    }
    // Profiles come only from a file named here, never from the one the Temporal CLI keeps in the home
    // directory: a server connects where its own environment says.
    if (env.TEMPORAL_PROFILE && !env.TEMPORAL_CONFIG_FILE) {
      context.addIssue({ code: 'custom', path: ['TEMPORAL_PROFILE'], message: 'names a profile in TEMPORAL_CONFIG_FILE, which is unset' });
    }
  });

export type Config = z.output<typeof envSchema> & { publicBaseUrl: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The error for configuration problems, each naming its variable. */
export function invalidConfiguration(problems: { variable: string; message: string }[]): ConfigError {
  return new ConfigError(`invalid configuration:\n${problems.map(({ variable, message }) => `  ${variable}: ${message}`).join('\n')}`);
}

/** Reads the configuration; unset and empty variables alike take their defaults. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw invalidConfiguration(parsed.error.issues.map((issue) => ({ variable: issue.path.join('.'), message: issue.message })));
  }
  const config = parsed.data;
  return { ...config, publicBaseUrl: (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '') };
}

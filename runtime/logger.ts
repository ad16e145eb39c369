import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * JSON logs on stdout. Request logs carry route templates, never bodies, emails or IP addresses; and
 * should an email or an address be logged all the same, at the top of a line or one level down, it
 * is redacted (the referee's email is `refereeEmail` where the CRM sync is given it).
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const personal = ['email', 'ip', 'refereeEmail'];
  const redact = ['req.headers.authorization', ...personal, ...personal.map((field) => `*.${field}`)];
  return pino({ name, level, redact }, destination);
}

import { type Logger, pino } from 'pino';

/** JSON logs on stdout. Request logs carry route templates, never bodies, emails or IP addresses. */
export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, redact: ['req.headers.authorization', '*.email', '*.ip'] });
}

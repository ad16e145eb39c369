// The logs: an email or an IP address that reaches a log line anyway is redacted, as is a key.
import { expect, it } from '@jest/globals';
import { createLogger } from '../../runtime/logger.ts';

it('redacts emails, IP addresses and credentials at the top of a line and one level down', () => {
  const lines: string[] = [];
  const log = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
  log.info({ email: 'sam@example.org', ip: '203.0.113.77', refereeEmail: 'sam@example.org' }, 'top');
  log.info({ referee: { email: 'sam@example.org', ip: '203.0.113.77' }, input: { refereeEmail: 'sam@example.org' } }, 'nested');
  log.info({ req: { headers: { authorization: 'Basic b3BzOnJrX3NlY3JldA==' } } }, 'request');
  const logged = lines.join('');
  for (const secret of ['sam@example.org', '203.0.113.77', 'b3BzOnJrX3NlY3JldA==']) expect(logged).not.toContain(secret);
  expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['top', 'nested', 'request']);
  expect(JSON.parse(lines[1] ?? '{}').referee).toEqual({ email: '[Redacted]', ip: '[Redacted]' });
});

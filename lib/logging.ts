import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
const REDACT = [
  '*.apiKey',
  '*.apiToken',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.password',
  '*.clientSecret',
  '*.codeVerifier',
  '*.credentials',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export function createLogger(level: string, name = 'dynamiq'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } });
}

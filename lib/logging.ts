import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

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

export interface LoggerOptions {
  /**
   * Readable, coloured lines for a person (pino-pretty) instead of one JSON object a line.
   * Default: when stdout is a terminal, so a log collector reading a pipe still gets JSON.
   */
  pretty?: boolean;
  /** Where lines go. Default: stdout. */
  destination?: DestinationStream;
}

export function createLogger(level: string, name = 'dynamiq', opts: LoggerOptions = {}): Logger {
  const options = { name, level, redact: { paths: REDACT, censor: '[redacted]' } };
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  if (!pretty) return opts.destination ? pino(options, opts.destination) : pino(options);
  // In this thread and synchronous, so the last lines before an exit are not lost.
  const stream = PinoPretty({
    colorize: opts.destination === undefined,
    sync: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,name',
    ...(opts.destination ? { destination: opts.destination } : {}),
  });
  return pino(options, stream);
}

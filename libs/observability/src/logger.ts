import pino, { Logger } from 'pino';

/** Keys whose values must never reach a log line. */
export const REDACTED_KEYS = ['password', 'pass', 'secret', 'token', 'code', 'authorization', 'cookie', '*.password', '*.pass', '*.secret', '*.token', 'req.headers.authorization', 'req.headers.cookie'];

export function createLogger(app: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}

export type { Logger };
export const LOGGER = Symbol('LOGGER');

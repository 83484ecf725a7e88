import pino from 'pino';

/**
 * The one logger. Quiet by default (warnings and errors to stderr); `--verbose` or
 * AGENT_RELAY_LOG=debug for more. Structured JSON so logs can be filtered.
 */
export const logger = pino(
  { level: process.env.AGENT_RELAY_LOG ?? 'warn', base: undefined },
  pino.destination({ dest: 2, sync: false }),
);

export function setLogLevel(level: 'debug' | 'info' | 'warn' | 'error' | 'silent'): void {
  logger.level = level;
}

export type Logger = typeof logger;

import { type Logger, type LoggerOptions, pino } from 'pino';
import type { Config } from '../config/index.js';

export type { Logger } from 'pino';

/**
 * The root logger. JSON lines on stdout (journald keeps them); pretty only on a TTY unless
 * configured. Each part logs through `log.child({ module: 'capture' })`. Never log patient
 * data: case labels, notes, user-entered text and video content stay out of logs.
 */
export function createLogger(config: Pick<Config, 'log'>, destination?: NodeJS.WritableStream): Logger {
  const pretty =
    config.log.pretty === 'always' ||
    (config.log.pretty === 'auto' && process.stdout.isTTY === true && !destination);
  const options: LoggerOptions = {
    level: config.log.level,
    base: { pid: process.pid },
    redact: {
      paths: [
        '*.password',
        '*.token',
        '*.key',
        '*.secret',
        'req.headers.cookie',
        'req.headers.authorization',
      ],
      censor: '(redacted)',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

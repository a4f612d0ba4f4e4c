import { describe, expect, it } from 'vitest';
import { redactingLog, redactingLogger } from './log.js';

describe('redacting loggers', () => {
  it('redact every line, at every level', () => {
    const lines: string[] = [];
    redactingLog((l) => lines.push(l))('slack: failed for xoxb-123456789012-abcdefghijkl (bob@example.com)');
    const logger = redactingLogger({ warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`), info: (m: string) => lines.push(`info ${m}`) });
    logger.warn('password=hunter2');
    logger.error('AKIAIOSFODNN7EXAMPLE');
    logger.info?.('call +44 20 7946 0958');
    expect(lines).toEqual([
      'slack: failed for [REDACTED SLACK TOKEN] ([REDACTED EMAIL])',
      'warn password=[REDACTED]',
      'error [REDACTED AWS KEY]',
      'info call [REDACTED PHONE]',
    ]);
    expect(redactingLogger({ warn: () => undefined, error: () => undefined }).info).toBeUndefined();
  });
});

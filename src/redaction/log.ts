import { redact } from './redact.js';

/**
 * Loggers that redact every line: error messages and log lines quote what a platform was sent or answered (alert
 * text, URLs with credentials, tokens), and logs get the same redaction as chat. Wrap a logger where it is created.
 */
export function redactingLog(log: (line: string) => void): (line: string) => void {
  return (line) => log(redact(line));
}

export interface LevelLogger {
  warn(message: string): void;
  error(message: string): void;
  info?(message: string): void;
}

export function redactingLogger<L extends LevelLogger>(log: L): LevelLogger {
  const info = log.info;
  return {
    warn: (m) => log.warn(redact(m)),
    error: (m) => log.error(redact(m)),
    ...(info ? { info: (m: string) => info.call(log, redact(m)) } : {}),
  };
}

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('SRE_COPILOT_REDACT_PATTERNS', () => {
  it('reads comma- or newline-separated patterns', () => {
    expect(loadConfig({ SRE_COPILOT_REDACT_PATTERNS: 'ACME-[0-9a-f]{8,32}, cust_\\d+' }).redactPatterns).toEqual(['ACME-[0-9a-f]{8,32}', 'cust_\\d+']);
    expect(loadConfig({ SRE_COPILOT_REDACT_PATTERNS: 'a,b\nc' }).redactPatterns).toEqual(['a,b', 'c']);
    expect(loadConfig({}).redactPatterns).toEqual([]);
  });

  it('refuses an invalid regex with a clear ConfigError', () => {
    expect(() => loadConfig({ SRE_COPILOT_REDACT_PATTERNS: 'ok,tok_[a-z' })).toThrow(ConfigError);
    expect(() => loadConfig({ SRE_COPILOT_REDACT_PATTERNS: 'ok,tok_[a-z' })).toThrow(/SRE_COPILOT_REDACT_PATTERNS: redaction pattern \/tok_\[a-z\/ is not a valid regular expression/);
    expect(() => loadConfig({ SRE_COPILOT_REDACT_PATTERNS: '.*' })).toThrow(/matches the empty string/);
  });
});

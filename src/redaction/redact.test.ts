import { describe, expect, it } from 'vitest';
import { isCardNumber, redact, redactDeep } from './redact.js';

const JWT_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('redact', () => {
  it('masks Bearer and Basic credentials', () => {
    expect(redact('Authorization: Bearer abc.def-123_XYZ/456==')).toBe('Authorization: Bearer [REDACTED]');
    expect(redact('auth header "Basic dXNlcjpodW50ZXIy" rejected')).toBe('auth header "Basic [REDACTED]" rejected');
    expect(redact('Authorization: s3cr3t-opaque-value')).toBe('Authorization: [REDACTED]');
    // the word "Basic" in prose is not a credential
    expect(redact('Basic authentication failed for user 42')).toBe('Basic authentication failed for user 42');
  });

  it('masks key=value secrets in logfmt, JSON, YAML and URLs', () => {
    expect(redact('connecting with password=hunter2 host=db-1')).toBe('connecting with password=[REDACTED] host=db-1');
    expect(redact('db_passwd: "correct horse battery"')).toBe('db_passwd: "[REDACTED]"');
    expect(redact('{"user":"bob","password":"p@ss,word"}')).toBe('{"user":"bob","password":"[REDACTED]"}');
    expect(redact('secret=abc123&api_key=ZZZ999&x=1')).toBe('secret=[REDACTED]&api_key=[REDACTED]&x=1');
    expect(redact("X-Api-Key: 'k-123'")).toBe("X-Api-Key: '[REDACTED]'");
    expect(redact('refresh token=tok_9f8e7d')).toBe('refresh token=[REDACTED]');
    expect(redact('postgres://app:Sup3rS3cret@orders-db:5432/orders')).toBe('postgres://app:[REDACTED]@orders-db:5432/orders');
  });

  it('masks AWS, Slack, GitHub keys and JWTs', () => {
    expect(redact('key AKIAIOSFODNN7EXAMPLE used')).toBe('key [REDACTED AWS KEY] used');
    expect(redact('slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx ok')).toBe(
      'slack [REDACTED SLACK TOKEN] ok',
    );
    expect(redact('xoxp-1111-2222-3333-abcdef')).toBe('[REDACTED SLACK TOKEN]');
    expect(redact('push with ghp_abcdefghijklmnopqrstuvwxyz0123456789')).toBe('push with [REDACTED GITHUB TOKEN]');
    expect(redact(`session ${JWT_TOKEN} expired`)).toBe('session [REDACTED JWT] expired');
    expect(redact(`jwt=${JWT_TOKEN}`)).toBe('jwt=[REDACTED JWT]');
    expect(redact(`access_token=${JWT_TOKEN}`)).toBe('access_token=[REDACTED JWT]');
  });

  it('masks private key blocks', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----';
    expect(redact(`key:\n${pem}\nnext line`)).toBe('key:\n[REDACTED PRIVATE KEY]\nnext line');
    expect(redact('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA')).toBe('[REDACTED PRIVATE KEY]');
  });

  it('masks Luhn-valid card numbers and keeps the last 4 digits', () => {
    expect(redact('charge card 4111 1111 1111 1111 declined')).toBe('charge card [REDACTED CARD …1111] declined');
    expect(redact('pan=5500-0000-0000-0004;')).toBe('pan=[REDACTED CARD …0004];');
    expect(redact('amex 378282246310005.')).toBe('amex [REDACTED CARD …0005].');
    expect(redact('{"card":"4012888888881881"}')).toBe('{"card":"[REDACTED CARD …1881]"}');
    // fails Luhn
    expect(redact('card 4111 1111 1111 1112')).toBe('card 4111 1111 1111 1112');
  });

  it('leaves ordinary ids, timestamps, IPs and numbers alone', () => {
    const lines = [
      '2026-11-20 09:00:01,123 ERROR [http-nio-8080-exec-7] c.shop.order.OrderService - order 1234567 failed',
      'ts=2026-11-20T09:00:01.123Z level=info service=cart msg="Added item" trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
      '10.0.3.17 - - [20/Nov/2026:09:00:01 +0000] "GET /api/cart HTTP/1.1" 200 512 0.012 "-" "Mozilla/5.0"',
      'epoch 1763629201123 and ns 1763629201123456789, span 00f067aa0ba902b7',
      'request-id 550e8400-e29b-41d4-a716-446655440000 user 4242 latency 0.532s',
      '2026-11-20 09:00:01.123 UTC [12345] LOG:  duration: 2345.123 ms  statement: SELECT * FROM orders WHERE id = $1',
      'token bucket refilled; max_tokens reached; secret santa',
      'phone +1 415 555 2671 ext 4111',
    ];
    for (const line of lines) expect(redact(line)).toBe(line);
  });

  it('is idempotent', () => {
    const s = `password=x Bearer abcdefghijk ${JWT_TOKEN} 4111111111111111 AKIAIOSFODNN7EXAMPLE`;
    const once = redact(s);
    expect(redact(once)).toBe(once);
    expect(once).not.toMatch(/hunter|abcdefghijk|eyJ|4111111111111111|AKIA/);
  });

  it('redacts nested values by key and content', () => {
    expect(redactDeep({ password: 'x', nested: [{ msg: 'Bearer abcdefghijkl' }], n: 3 })).toEqual({
      password: '[REDACTED]',
      nested: [{ msg: 'Bearer [REDACTED]' }],
      n: 3,
    });
  });

  it('checks card prefixes as well as Luhn', () => {
    expect(isCardNumber('4111111111111111')).toBe(true);
    expect(isCardNumber('1111111111111117')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { afterEach } from 'vitest';
import { configureRedaction, isCardNumber, redact, redactDeep, splitRedactionPatterns } from './redact.js';

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
      // versions, ports, durations, counts, offsets, Slack timestamps and build numbers that look a little like phones
      'deployed payment-service 2.8.2 (was 2.8.1) on 10.0.3.17:8080 after 1234.5 ms; retries 3/5; tz +0000 or +05:30',
      'thread CALERTS/1699999999.000200, INC-202611201320-7afcf2, build 20261120.1320.4711, v10.200.3000-rc1',
      'p99 latency +1234567 µs; 12 (of 16) pods ready; load 415 555 2671 3',
      'mail relay smtp.example.com:587 queue=12; user@host prompt; see https://bob@git.example.com/repo',
      'at 2026-11-20 12:50:00 – 13:20:00 UTC, counts (2026) 11 20; ids 123-45-6789',
    ];
    for (const line of lines) expect(redact(line)).toBe(line);
  });

  it('masks email addresses', () => {
    expect(redact('page bob.smith+oncall@example.co.uk now')).toBe('page [REDACTED EMAIL] now');
    expect(redact('{"owner":"Payments-Team@shop.example.com"}')).toBe('{"owner":"[REDACTED EMAIL]"}');
    expect(redact('<mailto:a_b@x.io|a_b@x.io>')).toBe('<mailto:[REDACTED EMAIL]|[REDACTED EMAIL]>');
    expect(redact('sent to alice@example.com.')).toBe('sent to [REDACTED EMAIL].');
  });

  it('masks phone numbers in international and common national formats', () => {
    expect(redact('phone +1 415 555 2671 ext 4111')).toBe('phone [REDACTED PHONE] ext 4111');
    expect(redact('call +14155552671 or +44 20 7946 0958')).toBe('call [REDACTED PHONE] or [REDACTED PHONE]');
    expect(redact('+49 (0)30 1234567, +33 1.23.45.67.89; +1-415-555-2671')).toBe('[REDACTED PHONE], [REDACTED PHONE]; [REDACTED PHONE]');
    expect(redact('customer (415) 555-2671 and 415-555-2671 and 415.555.2671')).toBe('customer [REDACTED PHONE] and [REDACTED PHONE] and [REDACTED PHONE]');
    expect(redact('tel: 020 7946 0958; mobile_no=0612345678; "phoneNumber":"415 555 2671"')).toBe(
      'tel: [REDACTED PHONE]; mobile_no=[REDACTED PHONE]; "phoneNumber":"[REDACTED PHONE]"',
    );
    // too short or too long for a phone number
    expect(redact('phone 12345, +1 234')).toBe('phone 12345, +1 234');
  });

  it('masks passwords in connection strings', () => {
    expect(redact('mongodb+srv://svc:pa55w0rd@cluster0.ab1cd.mongodb.net/shop?retryWrites=true')).toBe(
      'mongodb+srv://svc:[REDACTED]@cluster0.ab1cd.mongodb.net/shop?retryWrites=true',
    );
    expect(redact('REDIS_URL=redis://:s3cr3t@cache-1:6379/0')).toBe('REDIS_URL=redis://:[REDACTED]@cache-1:6379/0');
    expect(redact('postgres://app:p@ss@word@orders-db:5432/orders')).toBe('postgres://app:[REDACTED]@orders-db:5432/orders');
    expect(redact('jdbc:postgresql://db:5432/shop?user=app&password=Sup3r&ssl=true')).toBe('jdbc:postgresql://db:5432/shop?user=app&password=[REDACTED]&ssl=true');
    expect(redact('jdbc:sqlserver://db:1433;databaseName=shop;user=sa;password=Sup3r!;encrypt=true')).toBe(
      'jdbc:sqlserver://db:1433;databaseName=shop;user=sa;password=[REDACTED];encrypt=true',
    );
    expect(redact('Driver={ODBC Driver 18};Server=tcp:db,1433;Uid=sa;Pwd=Sup3r;')).toBe('Driver={ODBC Driver 18};Server=tcp:db,1433;Uid=sa;Pwd=[REDACTED];');
    expect(redact('Server=db;Uid=sa;Pwd={se;cr}}et};Database=shop')).toBe('Server=db;Uid=sa;Pwd={[REDACTED]};Database=shop');
    // a user without a password is not a secret
    expect(redact('postgres://app@orders-db:5432/orders')).toBe('postgres://app@orders-db:5432/orders');
  });

  it('is idempotent', () => {
    const s = `password=x Bearer abcdefghijk ${JWT_TOKEN} 4111111111111111 AKIAIOSFODNN7EXAMPLE bob@example.com +1 415 555 2671 Pwd={a;b} redis://:x@h`;
    const once = redact(s);
    expect(redact(once)).toBe(once);
    expect(once).not.toMatch(/hunter|abcdefghijk|eyJ|4111111111111111|AKIA|bob@|2671|a;b|:x@/);
  });

  it('redacts nested values by key and content', () => {
    expect(redactDeep({ at: new Date(Date.UTC(2026, 10, 20)), who: ['bob@example.com'] })).toEqual({ at: '2026-11-20T00:00:00.000Z', who: ['[REDACTED EMAIL]'] });
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

describe('configured redaction patterns', () => {
  afterEach(() => configureRedaction({ patterns: [] }));

  it('masks what the deployment adds, after the built-in rules, and stays idempotent', () => {
    configureRedaction({ patterns: ['ACME-[0-9a-f]{8}', 'cust_\\w+', 'RED'] });
    const once = redact('key ACME-deadbeef for cust_4711 by bob@example.com, RED alert');
    expect(once).toBe('key [REDACTED] for [REDACTED] by [REDACTED EMAIL], [REDACTED] alert');
    expect(redact(once)).toBe(once);
    configureRedaction({ patterns: [] });
    expect(redact('key ACME-deadbeef')).toBe('key ACME-deadbeef');
  });

  it('refuses a pattern that does not compile or matches nothing at all', () => {
    expect(() => configureRedaction({ patterns: ['(unclosed'] })).toThrow(/redaction pattern \/\(unclosed\/ is not a valid regular expression/);
    expect(() => configureRedaction({ patterns: ['x*'] })).toThrow(/matches the empty string/);
  });

  it('splits on commas outside groups, classes and counts, or on lines', () => {
    expect(splitRedactionPatterns('ACME-\\d{2,4}, tok_[a,b]+ ,(x|y,z)\\,w,')).toEqual(['ACME-\\d{2,4}', 'tok_[a,b]+', '(x|y,z)\\,w']);
    expect(splitRedactionPatterns('a,b\nc{1,2}\n\n')).toEqual(['a,b', 'c{1,2}']);
  });
});

import { describe, expect, it } from 'vitest';
import { redact } from './redact.js';

describe('redact', () => {
  it('masks bearer tokens, passwords and card numbers', () => {
    expect(redact('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc-_x')).toBe('Authorization: Bearer ****');
    expect(redact('login failed password=hunter2 user=bob')).toBe('login failed password=**** user=bob');
    expect(redact('{"password": "s3cret!"}')).toBe('{"password": ****}');
    expect(redact('card 4111111111111111 declined')).toBe('card **** declined');
    expect(redact('card 4111 1111 1111 1111 declined')).toBe('card **** declined');
    expect(redact('api_key: AKIA123 ok')).toBe('api_key: **** ok');
  });
  it('leaves ordinary text alone', () => {
    const s = 'order 12345 took 230 ms on 10.0.0.1 trace 4bf92f3577b34da6a3ce929d0e0e4736';
    expect(redact(s)).toBe(s);
  });
});

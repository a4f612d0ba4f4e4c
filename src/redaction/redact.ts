/**
 * Masks secrets in text before it is shown in chat, logged, written to a report or sent to an LLM.
 * Every replacement starts with "[REDACTED" so that later rules (and a second pass) leave it alone: redact() is
 * idempotent. Ordinary ids, timestamps, IPs and hex trace ids are left as they are.
 */

const R = '[REDACTED]';
const NOT_REDACTED = '(?!\\[REDACTED)';

/** PEM private keys (RSA, EC, OPENSSH, PKCS#8, encrypted); an unterminated block is masked to the end. */
const PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2-----|$)/g;
/** header.payload.signature, both first parts base64url JSON ("eyJ"). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = new RegExp(`\\b(Bearer)(\\s+)${NOT_REDACTED}[A-Za-z0-9\\-._~+/]{8,}=*`, 'gi');
const AUTH_HEADER = new RegExp(`\\b((?:Proxy-)?Authorization)(\\s*[:=]\\s*)${NOT_REDACTED}(?!Bearer\\b|Basic\\b)([^\\s,;"']+)`, 'gi');
const BASIC = /\b(Basic)(\s+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/g;
const SLACK = /\bxox[abposre]-[A-Za-z0-9-]{8,}/g;
const SLACK_APP = /\bxapp-\d-[A-Za-z0-9-]{8,}/g;
const SLACK_WEBHOOK = /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g;
const AWS_KEY = /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/g;
const GITHUB = /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g;
const API_SK = /\bsk-(?:[A-Za-z0-9_-]*-)?[A-Za-z0-9]{20,}\b/g;
const GOOGLE_KEY = /\bAIza[0-9A-Za-z_-]{35}\b/g;
/**
 * key=value / key: value / "key": "value" where the key names a secret (password, passwd, pwd, secret, api_key,
 * apikey, token, credential, private_key, … also as part of a longer key such as db_password or X-Api-Key).
 */
const SECRET_KEY = '[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|token|credentials?|private[_-]?key)[A-Za-z0-9_.-]*';
const KEY_VALUE = new RegExp(
  `(["']?)\\b(${SECRET_KEY})\\1(\\s*(?:[:=]|=>)\\s*)${NOT_REDACTED}("(?:[^"\\\\\\n]|\\\\.)*"|'[^'\\n]*'|[^\\s,;&"'<>{}\\[\\]()]+)`,
  'gi',
);
/** scheme://user:password@host */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi;
/** 13–19 digits, optionally grouped by single spaces or dashes; only Luhn-valid numbers with a card prefix are masked. */
const CARD_CANDIDATE = /(?<![\w.:/-])\d(?:[ -]?\d){12,18}(?![\w:/]|[.,-]\d)/g;

export function redact(text: string): string {
  if (!text) return text;
  let out = text;
  out = out.replace(PRIVATE_KEY, '[REDACTED PRIVATE KEY]');
  out = out.replace(JWT, '[REDACTED JWT]');
  out = out.replace(SLACK_WEBHOOK, '[REDACTED SLACK WEBHOOK]');
  out = out.replace(SLACK, '[REDACTED SLACK TOKEN]');
  out = out.replace(SLACK_APP, '[REDACTED SLACK TOKEN]');
  out = out.replace(AWS_KEY, '[REDACTED AWS KEY]');
  out = out.replace(GITHUB, '[REDACTED GITHUB TOKEN]');
  out = out.replace(API_SK, '[REDACTED API KEY]');
  out = out.replace(GOOGLE_KEY, '[REDACTED API KEY]');
  out = out.replace(BEARER, `$1$2${R}`);
  out = out.replace(BASIC, (m: string, word: string, sp: string, b64: string) => (isBasicCredential(b64) ? `${word}${sp}${R}` : m));
  out = out.replace(AUTH_HEADER, `$1$2${R}`);
  out = out.replace(URL_CREDENTIALS, `$1${R}$3`);
  out = out.replace(KEY_VALUE, (_m, q: string, key: string, sep: string, value: string) => {
    const quoted = value.startsWith('"') || value.startsWith("'");
    const v = quoted ? `${value[0]}${R}${value[0]}` : R;
    return `${q}${key}${q}${sep}${v}`;
  });
  out = out.replace(CARD_CANDIDATE, (m) => {
    const digits = m.replace(/[ -]/g, '');
    return isCardNumber(digits) ? `[REDACTED CARD …${digits.slice(-4)}]` : m;
  });
  return out;
}

/** Redacts every string in a JSON-like value (for structured logs and LLM payloads). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = new RegExp(`^${SECRET_KEY}$`, 'i').test(k) && (typeof v === 'string' || typeof v === 'number') ? R : redactDeep(v);
    }
    return out as T;
  }
  return value;
}

/** Luhn-valid, 13–19 digits, and an issuer prefix (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
export function isCardNumber(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false;
  if (!/^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6|50|5[6-8])/.test(digits)) return false;
  return luhn(digits);
}

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function isBasicCredential(b64: string): boolean {
  if (!/[0-9+/=]/.test(b64) && !/[A-Z].*[a-z]|[a-z].*[A-Z]/.test(b64.slice(1))) return false;
  try {
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
  } catch {
    return false;
  }
}

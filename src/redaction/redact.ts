/**
 * Masks secrets and personal data (emails, phone numbers) in text before it is shown in chat, logged, stored, written
 * to a report or sent to an LLM. Every replacement starts with "[REDACTED" so that later rules (and a second pass)
 * leave it alone: redact() is idempotent. Ordinary ids, timestamps, durations, versions, IPs, ports and hex trace ids
 * are left as they are. Deployments add their own patterns with `configureRedaction` (SRE_COPILOT_REDACT_PATTERNS).
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
/**
 * scheme://user:password@host, also an empty user (redis://:password@host) and a password holding a raw "@" (the
 * password runs to the last "@" before the host).
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s/?#]+)(@)(?=[^\s@/?#]*(?:[/?#\s"'<>]|$))/gi;
/** ODBC connection strings quote a password with braces: Pwd={p;a}}ss} (a "}" is doubled inside). */
const ODBC_BRACED_PASSWORD = /\b(pwd|password)(\s*=\s*)\{(?:[^}]|\}\})*\}/gi;
/** local@domain.tld; not the user part of a URL (scheme://user@host), which a preceding "/" rules out. */
const EMAIL = /(?<![\w.%+/-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])/g;
/**
 * Phone numbers, three shapes that ordinary log text does not take: international (+country code, then digits grouped
 * by spaces, dots, dashes or an area code in parentheses), a national number with its area code in parentheses
 * ((415) 555-2671), and the North American 415-555-2671 / 415.555.2671. Any other digit run counts as a phone number
 * only after a label (phone, tel, mobile, fax, msisdn). The digit count (7 to 15, E.164) is checked in code.
 */
const PHONE_INTERNATIONAL = /(?<![\w+=/.-])\+[1-9]\d{0,3}(?:[ .-]?\(\d{1,4}\)|[ .-]?\d{1,5}){1,6}(?!\w|[.,:-]?\d)/g;
const PHONE_AREA_CODE = /(?<![\w)])\(\d{2,5}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,2}(?!\w|[.,:-]?\d)/g;
const PHONE_NORTH_AMERICAN = /(?<![\w.:/+-])\d{3}([-.])\d{3}\1\d{4}(?!\w|[.,:-]?\d)/g;
const PHONE_LABELLED =
  /\b((?:[a-z]+[_-])?(?:phone|telephone|tel|mobile|fax|msisdn)(?:[_-]?(?:no|num|number))?)(["']?\s*(?:[:=#]\s*)?["']?)(\+?\(?\d[\d ().-]{5,20}\d)(?!\w|[.,:-]?\d)/gi;
/** a date inside a candidate phone number means it is a timestamp, not a phone number */
const DATE_LIKE = /\d{4}[-./]\d{1,2}[-./]\d{1,2}/;
/** 13–19 digits, optionally grouped by single spaces or dashes; only Luhn-valid numbers with a card prefix are masked. */
const CARD_CANDIDATE = /(?<![\w.:/-])\d(?:[ -]?\d){12,18}(?![\w:/]|[.,-]\d)/g;

const PHONE = '[REDACTED PHONE]';

/** Extra patterns from the configuration; see configureRedaction. */
let extraPatterns: RegExp[] = [];

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
  out = out.replace(ODBC_BRACED_PASSWORD, `$1$2{${R}}`);
  out = out.replace(KEY_VALUE, (_m, q: string, key: string, sep: string, value: string) => {
    const quoted = value.startsWith('"') || value.startsWith("'");
    const v = quoted ? `${value[0]}${R}${value[0]}` : R;
    return `${q}${key}${q}${sep}${v}`;
  });
  out = out.replace(CARD_CANDIDATE, (m) => {
    const digits = m.replace(/[ -]/g, '');
    return isCardNumber(digits) ? `[REDACTED CARD …${digits.slice(-4)}]` : m;
  });
  if (out.includes('@')) out = out.replace(EMAIL, '[REDACTED EMAIL]');
  out = redactPhones(out);
  if (extraPatterns.length > 0) out = applyExtraPatterns(out);
  return out;
}

function redactPhones(text: string): string {
  let out = text;
  if (out.includes('+')) out = out.replace(PHONE_INTERNATIONAL, (m) => (isPhoneNumber(m, 8) ? PHONE : m));
  // at least six digits after the area code: "(2026) 11 20" is a year and two counts
  if (out.includes('(')) out = out.replace(PHONE_AREA_CODE, (m) => (isPhoneNumber(m, 7) && isPhoneNumber(m.slice(m.indexOf(')')), 6) ? PHONE : m));
  out = out.replace(PHONE_NORTH_AMERICAN, PHONE);
  out = out.replace(PHONE_LABELLED, (m, label: string, sep: string, number: string) => (isPhoneNumber(number, 7) ? `${label}${sep}${PHONE}` : m));
  return out;
}

function isPhoneNumber(candidate: string, minDigits: number): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  return digits >= minDigits && digits <= 15 && !DATE_LIKE.test(candidate);
}

/** The markers earlier rules wrote; configured patterns never rewrite inside them, so a second pass changes nothing. */
const MARKER = /\[REDACTED[^\]]*\]/g;

function applyExtraPatterns(text: string): string {
  return extraPatterns.reduce(outsideMarkers, text);
}

function outsideMarkers(text: string, re: RegExp): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    out += text.slice(last, m.index).replace(re, R) + m[0];
    last = m.index + m[0].length;
  }
  return out + text.slice(last).replace(re, R);
}

/**
 * Installs the deployment's own patterns (e.g. internal token formats), applied after the built-in rules; each match
 * becomes "[REDACTED]". Called once by the composition root; a later call replaces the earlier patterns.
 */
export function configureRedaction(options: { patterns: readonly (string | RegExp)[] }): void {
  extraPatterns = options.patterns.map(compileRedactionPattern);
}

export class RedactionPatternError extends Error {
  override name = 'RedactionPatternError';
}

/** A global regex from a pattern's source; refuses what does not compile and what matches the empty string. */
export function compileRedactionPattern(pattern: string | RegExp): RegExp {
  const source = typeof pattern === 'string' ? pattern : pattern.source;
  const flags = typeof pattern === 'string' ? 'g' : [...new Set(`${pattern.flags}g`)].join('');
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (err) {
    throw new RedactionPatternError(`redaction pattern /${source}/ is not a valid regular expression: ${(err as Error).message}`);
  }
  if (new RegExp(`^(?:${source})$`, flags.replace('g', '')).test('')) {
    throw new RedactionPatternError(`redaction pattern /${source}/ matches the empty string, so it would mask nothing useful`);
  }
  return re;
}

/**
 * Splits a list of patterns: one a line when the value has line breaks, otherwise comma-separated, where a comma
 * inside (), [] or {} (as in \d{2,4}) or escaped as \, belongs to the pattern. Empty entries are dropped.
 */
export function splitRedactionPatterns(value: string): string[] {
  if (/[\r\n]/.test(value)) return value.split(/\r?\n|\r/).map((p) => p.trim()).filter(Boolean);
  const out: string[] = [];
  let current = '';
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      current += c + value[++i];
      continue;
    }
    if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' || c === '{') depth++;
    else if ((c === ')' || c === '}') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      out.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  out.push(current);
  return out.map((p) => p.trim()).filter(Boolean);
}

const SECRET_KEY_NAME = new RegExp(`^${SECRET_KEY}$`, 'i');

/**
 * Redacts every string in a JSON-like value (stored records, structured logs, LLM payloads); a string or number under
 * a key that names a secret (password, api_key, …) is masked whole. Objects with toJSON (Date) are read as
 * JSON.stringify would read them.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  const toJSON = value && typeof value === 'object' ? (value as { toJSON?: unknown }).toJSON : undefined;
  if (typeof toJSON === 'function') return redactDeep(toJSON.call(value) as unknown) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY_NAME.test(k) && (typeof v === 'string' || typeof v === 'number') ? R : redactDeep(v);
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

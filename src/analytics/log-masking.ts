/**
 * Masking and tokenising of log messages for the template miner (log-templates.ts): variable pieces of each
 * whitespace token become `<*>` so messages of one template line up token by token.
 */
export const WILDCARD = '<*>';

/** Characters that split a token into pieces; a piece is a maximal run of other characters. */
export const DELIMS = new Set(' \t,;:=|"\'[](){}.-+@#$%&/\\<>!?*~^`'.split(''));
const UNIT = /^\d+(?:ms|us|µs|ns|s|sec|secs|min|mins|h|hrs|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|b|bytes|px|x)$/i;
const CONSTANT_WORDS = new Set(['true', 'false', 'null', 'TRUE', 'FALSE', 'NULL', 'True', 'False', 'Null']);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexLetter(c: number): boolean {
  return (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Whether one piece (no delimiters inside) is a variable: numbers, hex, ids, numbers with units, booleans/null. */
export function isVariablePiece(p: string): boolean {
  if (CONSTANT_WORDS.has(p)) return true;
  let digits = 0;
  let hex = 0;
  let run = 0;
  let maxRun = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (isDigit(c)) {
      digits++;
      hex++;
      if (++run > maxRun) maxRun = run;
    } else {
      run = 0;
      if (isHexLetter(c)) hex++;
    }
  }
  if (digits === 0) return false;
  if (digits === p.length) return true; // decimal number
  if (hex === p.length && p.length >= 4) return true; // hex id
  if (p.length > 2 && p.charCodeAt(0) === 48 && (p[1] === 'x' || p[1] === 'X') && hex === p.length - 1) return true; // 0x…
  if (maxRun >= 4) return true; // long digit run inside an id: blk_123456, application_1445087491445_0005
  if (p.length >= 8 && digits >= 2) return true; // random alphanumeric ids
  return UNIT.test(p); // 35ms, 2KB
}

export function collapse(s: string): string {
  let t = s;
  if (t.includes('>-<')) t = t.replace(/<\*>(?:-<\*>){4}/g, WILDCARD); // UUIDs
  if (t.includes('_-<*>')) t = t.replace(/[A-Za-z0-9]+_-<\*>/g, WILDCARD); // blk_-123
  while (t.includes('<*>.<*>')) t = t.replaceAll('<*>.<*>', '<*>');
  while (t.includes('<*><*>')) t = t.replaceAll('<*><*>', '<*>');
  return t;
}

/** Path-like pieces between path delimiters (`/a/b`, `/x/1.log`) → `<*>`. */
function maskPaths(tok: string): string {
  return tok.replace(/(?<![^\s,;:=|"'[\](){}!])(?:\/[^\s,;:=|"'[\](){}!/]+){2,}\/?(?=$|[\s,;:=|"'[\](){}!])|(?<![^\s,;:=|"'[\](){}!])\/[^\s,;:=|"'[\](){}!/]*\d[^\s,;:=|"'[\](){}!/]*(?=$|[\s,;:=|"'[\](){}!])/g, WILDCARD);
}

/** host names: dotted labels ending in a common top-level domain */
const DOMAIN = /(?<![\w.-])(?:[A-Za-z0-9-]+\.)+(?:com|net|org|edu|gov|mil|io|hk|cn|uk|de|jp|fr|ru|br|in|au|kr|tw|local|internal|lan)(?![\w.-])/g;

const DOMAIN_TEST = new RegExp(DOMAIN.source);

const MONTHS = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*';
const DATE = new RegExp(`(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\\s+)?${MONTHS}\\s+\\d{1,2},?\\s+(?:\\d{4}\\s+)?\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s+\\d{4}(?!\\d))?`, 'g');
const DATE_TEST = new RegExp(DATE.source);

const tokenCache = new Map<string, string>();
const TOKEN_CACHE_MAX = 200_000;

/** One whitespace-free token with its variable pieces replaced by `<*>` (`uid=0` → `uid=<*>`, `10.0.0.1:80` → `<*>:<*>`). */
export function maskToken(tok: string): string {
  let digits = 0;
  let special = false; // '/' or '.': paths and host names
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 47 || c === 46) special = true;
  }
  return maskScanned(tok, digits, special);
}

/**
 * maskToken with the token's digit count, whether it has '/' or '.', and the set of its character codes mod 32
 * (letters of either case alike) already known: splitMask finds them while it splits.
 */
function maskScanned(tok: string, digits: number, special: boolean, letters = BOOL_LETTERS): string {
  if (digits === tok.length) return WILDCARD; // a plain number, the commonest variable
  if (digits === 0 && !special) {
    // words: only booleans and null are variables
    return tok.length >= 4 && mayHoldBool(letters) && hasBoolHint(tok) ? maskPieces(tok) : tok;
  }
  if (digits > 0) return maskWithDigits(tok, special);
  // words with '/' or '.' repeat (cached)
  const hit = tokenCache.get(tok);
  if (hit !== undefined) return hit;
  const out = maskSlow(tok, special);
  if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.clear();
  tokenCache.set(tok, out);
  return out;
}

function maskSlow(tok: string, special: boolean): string {
  let out = tok;
  if (special) {
    if (out.includes('/')) out = maskPaths(out);
    if (letterAfterLastDot(out) && DOMAIN_TEST.test(out)) out = out.replace(DOMAIN, WILDCARD);
  }
  return maskPieces(out);
}

/**
 * Tokens with digits are mostly unique, but their shapes repeat (`10.0.0.1:80`, `12.5ms`). Masking only looks at
 * character classes (digit, hex letter, letter, delimiter) and at a '0' before 'x', so it gives the same result for
 * two tokens that differ only in which digits they hold, but for '0x'; a result without digits is cached per such
 * shape (direct-mapped by a hash of the shape, a slot keeps one token of that shape). A token without delimiters is
 * one piece.
 */
const SHAPE_SLOTS = 4096;
const shapeKeys: (string | undefined)[] = new Array<string | undefined>(SHAPE_SLOTS).fill(undefined);
const shapeVals: string[] = new Array<string>(SHAPE_SLOTS).fill('');

function maskWithDigits(tok: string, special: boolean): string {
  const n = tok.length;
  let h = 0x811c9dc5;
  let delims = false;
  let digits = 0;
  let hex = 0;
  let run = 0;
  let maxRun = 0;
  for (let i = 0; i < n; i++) {
    let c = tok.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      hex++;
      if (++run > maxRun) maxRun = run;
      c = c === 48 && (tok.charCodeAt(i + 1) | 32) === 120 ? 48 : 49; // '0x' counts as hex, other digits alike
    } else {
      run = 0;
      if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) hex++;
      else if (c < 128 && DELIM_CODES[c]) delims = true;
    }
    h = Math.imul(h ^ c, 0x01000193);
  }
  if (!delims) {
    // one piece ('.' and '/' are delimiters): the quick tests of isVariablePiece, then the rest of it
    if (maxRun >= 4 || (hex === n && n >= 4) || (n >= 8 && digits >= 2)) return WILDCARD;
    return isVariablePiece(tok) ? WILDCARD : tok;
  }
  const slot = (h ^ (h >>> 15)) & (SHAPE_SLOTS - 1);
  const key = shapeKeys[slot];
  if (key !== undefined && key.length === n && sameShape(key, tok)) return shapeVals[slot]!;
  const out = maskSlow(tok, special);
  if (!hasDigit(out)) {
    shapeKeys[slot] = tok;
    shapeVals[slot] = out;
  }
  return out;
}

function sameShape(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y && !(x >= 48 && x <= 57 && y >= 48 && y <= 57 && (a.charCodeAt(i + 1) | 32) !== 120)) return false;
  }
  return true;
}

function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

const bits = (w: string): number => w.split('').reduce((m, ch) => m | (1 << (ch.charCodeAt(0) & 31)), 0);
const TRUE_BITS = bits('true');
const FALSE_BITS = bits('false');
const NULL_BITS = bits('null');
const BOOL_LETTERS = TRUE_BITS | FALSE_BITS | NULL_BITS;
function mayHoldBool(letters: number): boolean {
  return (letters & TRUE_BITS) === TRUE_BITS || (letters & FALSE_BITS) === FALSE_BITS || (letters & NULL_BITS) === NULL_BITS;
}

/** Whether a word holds `true`, `false` or `null` in any letter case (a filter before maskPieces). */
function hasBoolHint(s: string): boolean {
  const n = s.length;
  for (let i = 0; i + 4 <= n; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c === 116) {
      if ((s.charCodeAt(i + 1) | 32) === 114 && (s.charCodeAt(i + 2) | 32) === 117 && (s.charCodeAt(i + 3) | 32) === 101) return true;
    } else if (c === 110) {
      if ((s.charCodeAt(i + 1) | 32) === 117 && (s.charCodeAt(i + 2) | 32) === 108 && (s.charCodeAt(i + 3) | 32) === 108) return true;
    } else if (c === 102 && i + 5 <= n) {
      if ((s.charCodeAt(i + 1) | 32) === 97 && (s.charCodeAt(i + 2) | 32) === 108 && (s.charCodeAt(i + 3) | 32) === 115 && (s.charCodeAt(i + 4) | 32) === 101) return true;
    }
  }
  return false;
}

function letterAfterLastDot(s: string): boolean {
  const i = s.lastIndexOf('.');
  if (i < 0 || i + 1 >= s.length) return false;
  const c = s.charCodeAt(i + 1) | 32;
  return c >= 97 && c <= 122;
}
const HOST_WITH_PORT = /(?<![\w.-])[\w.-]*<\*>[\w.-]*(?=(?:\/<\*>)?:<\*>)/g;
const DELIM_CODES = new Uint8Array(128);
for (const ch of DELIMS) if (ch.charCodeAt(0) < 128) DELIM_CODES[ch.charCodeAt(0)] = 1;

/** Replaces the variable pieces of a token (see isVariablePiece) and merges adjacent masks. */
function maskPieces(tok: string): string {
  let res = '';
  let flushed = 0; // tok[flushed, start) is constant text not yet copied into res
  let start = 0;
  let masks = 0;
  let digits = 0;
  let hex = 0;
  let run = 0;
  let maxRun = 0;
  const n = tok.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? tok.charCodeAt(i) : 32;
    if (c < 128 && DELIM_CODES[c]) {
      const len = i - start;
      if (len > 0) {
        let variable: boolean;
        if (digits === 0) variable = len >= 4 && len <= 5 && CONSTANT_WORDS.has(tok.slice(start, i));
        else if (digits === len || maxRun >= 4 || (hex === len && len >= 4) || (len >= 8 && digits >= 2)) variable = true;
        else variable = isVariablePiece(tok.slice(start, i)); // 0x…, units
        if (variable) {
          res += tok.slice(flushed, start) + WILDCARD;
          flushed = i;
          masks++;
        }
      }
      start = i + 1;
      digits = hex = run = maxRun = 0;
    } else if (c >= 48 && c <= 57) {
      digits++;
      hex++;
      if (++run > maxRun) maxRun = run;
    } else {
      run = 0;
      if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) hex++;
    }
  }
  if (masks) res += tok.slice(flushed);
  if (!masks) return tok;
  // a mask already in the token was split by its own < * > delimiters: put it back together
  if (res.includes('<<*>>')) res = res.replaceAll('<<*>>', WILDCARD);
  if (res.includes('-<*>')) res = res.replace(/(^|[=:,(\[])-<\*>/g, `$1${WILDCARD}`);
  // a host name with a number before a port or an address (`msra-sa-41:9000`, `node-7/10.0.0.1:80`) is one variable
  if (masks > 1 || res.includes('_-<')) res = collapse(res);
  return masks > 1 && res.includes(':<*>') ? collapse(res.replace(HOST_WITH_PORT, WILDCARD)) : res;
}

/** Replaces variable parts of a message with `<*>`. */
export function maskMessage(message: string): string {
  return maskTokens(message).join(' ');
}

/** Whitespace tokens of a message, each masked; a calendar timestamp (`Fri Jun 17 07:07:00 2005`) is one `<*>`. */
export function maskTokens(message: string): string[] {
  const out = splitMask(message);
  if (out === DATE_SEEN) return splitMask(message.replace(DATE, WILDCARD), true) as string[];
  return out.length ? out : ['<empty>'];
}

const DATE_SEEN: string[] = [];
const MONTH_NAMES = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
const MONTH_INITIALS = new Set([...MONTH_NAMES].map((m) => m.charCodeAt(0)));

/** Masked whitespace tokens; DATE_SEEN when a month name followed by a timestamp calls for the slower path. */
function splitMask(text: string, datesDone = false): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) return out;
    const start = i;
    let digits = 0;
    let special = false;
    let letters = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c <= 32 ? c === 32 || (c >= 9 && c <= 13) : c === 160) break;
      letters |= 1 << (c & 31);
      if (c >= 48 && c <= 57) digits++;
      else if (c === 47 || c === 46) special = true;
    }
    const tok = text.slice(start, i);
    if (!datesDone && i - start === 3 && MONTH_INITIALS.has(text.charCodeAt(start)) && MONTH_NAMES.has(tok) && DATE_TEST.test(text)) {
      return DATE_SEEN;
    }
    out.push(maskScanned(tok, digits, special, letters));
  }
}

/** whitespace that separates tokens: space, \t \n \v \f \r and no-break space */
function isSpace(c: number): boolean {
  return c <= 32 ? c === 32 || (c >= 9 && c <= 13) : c === 160;
}

export function tokenize(masked: string): string[] {
  const t = masked.split(/\s+/).filter(Boolean);
  return t.length ? t : ['<empty>'];
}

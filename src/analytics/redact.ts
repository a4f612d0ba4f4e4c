/**
 * Masks secrets in text before it is shown or sent anywhere: bearer/basic credentials, password/token/secret/api-key
 * assignments, and 13–19-digit card numbers (contiguous or in groups split by spaces or dashes).
 */
const RULES: [RegExp, string | ((...m: string[]) => string)][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, (_m, kind) => `${kind} ****`],
  [
    /\b(password|passwd|pwd|secret|client_secret|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|token|auth)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"'}]+)/gi,
    (_m, key, sep) => `${key}${sep}****`,
  ],
  [/(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])/g, '****'],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of RULES) out = out.replace(re, rep as string);
  return out;
}

import { stemmer } from 'stemmer';

/**
 * Words that carry no topic in an SRE question or a runbook: the usual English function words plus the filler of
 * questions ("how do we…"). Shared by the lexical index and the hashed embedding features, so that both read a text
 * the same way.
 */
export const STOP_WORDS = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers him his how ' +
    'i if in into is it its itself just keep keeps kept let me more most my no nor not now of off on once only or other ' +
    'our ours out over own same she should so some such than that the their theirs them then there these they this those ' +
    'through to too under until up us very was we were what when where which while who whom why will with would you your ' +
    'yours get gets getting got may might must shall s t'
  ).split(/\s+/),
);

/** Lower-cased alphanumeric words, with intra-word dots, dashes and underscores split (service-a → service, a). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

export function stem(word: string): string {
  return /^[a-z]+$/.test(word) && word.length > 3 ? stemmer(word) : word;
}

/** The index terms of a text: stemmed content words. */
export function terms(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w))
    .map(stem);
}

/** minisearch's processTerm: null drops the term. */
export function processTerm(term: string): string | null {
  const w = term.toLowerCase();
  if (STOP_WORDS.has(w) || !/[a-z0-9]/.test(w)) return null;
  return stem(w);
}

export function tokenize(text: string): string[] {
  return words(text);
}

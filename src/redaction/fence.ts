import { redact } from './redact.js';

/**
 * The one way a prompt quotes untrusted text (alerts, logs, chat, findings): redacted, then wrapped in <data> tags
 * that the text itself cannot close or reopen. Prompts tell the model that text inside <data> is data, never
 * instructions; that only holds while the fence is intact.
 */

/** Characters a model may read as "<", and invisible ones that could sit between "<", "/" and "data". */
const OPENERS = '<\uFF1C\uFE64\u2039\u2329\u27E8\u3008';
const INVISIBLE = '\\s\\u00AD\\u180E\\u200B-\\u200F\\u2028-\\u202F\\u205F-\\u2064\\u2066-\\u206F\\uFEFF';
/** "<data>", "</data>", "< / DATA x=1>", "</data" without ">", full-width "＜/data＞", with invisible characters mixed in. */
const FENCE_TAG = new RegExp(`[${OPENERS}](?=[${INVISIBLE}]*(?:[/\\\\\\uFF0F][${INVISIBLE}]*)?d[${INVISIBLE}]*a[${INVISIBLE}]*t[${INVISIBLE}]*a(?![\\w-]))`, 'giu');

/** The text with every would-be fence tag defused ("<" written as "&lt;"), redacted. */
export function neutraliseFence(text: string): string {
  return redact(text).replace(FENCE_TAG, '&lt;');
}

/** `<data>\n…\n</data>` around the redacted, defused text. */
export function fenceUntrusted(text: string): string {
  return `<data>\n${neutraliseFence(text)}\n</data>`;
}

import { z } from 'zod';

export const IntentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('diagnose'), service: z.string().min(1).optional() }),
  z.object({ kind: z.literal('status') }),
  z.object({ kind: z.literal('changes'), sinceMinutes: z.number().int().positive() }),
  z.object({ kind: z.literal('report') }),
  z.object({ kind: z.literal('approve') }),
  /** explicit only ("reject", "reject: too risky"): a word inside a sentence ("stop the bleeding") never rejects */
  z.object({ kind: z.literal('reject'), reason: z.string().optional() }),
  /** the evidence behind the top hypothesis */
  z.object({ kind: z.literal('why') }),
  /** what the proposed plan would do now (pre-checks and the executor's dry run); changes nothing */
  z.object({ kind: z.literal('dry_run') }),
  /** undo the steps that succeeded before a failed one (approvers only) */
  z.object({ kind: z.literal('rollback') }),
  z.object({ kind: z.literal('help') }),
  /** a person states the incident's true cause ("root cause was …"): the knowledge base learns it */
  z.object({ kind: z.literal('root_cause'), cause: z.string().min(1).max(500) }),
  /** a how-to question for the knowledge base ("how do we fail over the payments database?", "kb …") */
  z.object({ kind: z.literal('ask'), question: z.string().min(1).max(500) }),
  z.object({ kind: z.literal('unknown'), text: z.string() }),
]);
export type Intent = z.infer<typeof IntentSchema>;

export interface IntentOptions {
  /** service names (e.g. from the CMDB) to recognise in questions */
  knownServices?: readonly string[];
  /** window for "what changed?" without a duration; default 60 */
  defaultChangeMinutes?: number;
}

const MENTION = /^\s*(?:<@!?[A-Z0-9]+>|<@&?\d+>|@[\w.-]+|sre-copilot\b|copilot\b)[\s,:;-]*/i;

const HELP = /^(?:help|\?|h|commands|usage|what can you do|how do(?:es)? (?:i|this|it) (?:use|work)|how does this work)\b/;
// Decisions are commands, never words inside a sentence: "go ahead and tell me why" must not approve anything.
const APPROVE = /^(?:\/?approve)(?: (?:it|the (?:fix|plan)|plan-\S+))?$/;
const REJECT = /^\/?reject(?:$|[\s:,-]+(.*)$)/;
const WHY = /^(?:why|explain|evidence|why (?:that|this|it)|show (?:the )?evidence)$/;
const DRY_RUN = /^(?:dry[- ]?run|simulate|\/dry-?run)\b|^what would (?:it|you|the (?:fix|plan)) do\b/;
// only as a command: "how do I roll back a deploy?" is a question, not an order
const ROLLBACK = /^(?:roll ?back|undo)(?: (?:it|that|the (?:fix|plan|steps?|changes?)))?$|^\/rollback$/;
const ROOT_CAUSE = /^(?:the )?(?:actual |real |true )?root ?cause (?:was|is)[\s:,-]+(\S.*)$/i;
const ASK = /^(?:\/?kb\b|how (?:do|can|should|would|did) (?:we|i|you|one)\b|how to\b|what(?:'s| is) the (?:runbook|procedure|playbook|process)\b|is there a (?:runbook|procedure|playbook)\b)/;
const STATUS = /^(?:status|state|progress|\/status)\b|\b(?:what'?s|what is|how'?s|how is) (?:the )?(?:status|progress)\b|\bwhere are we\b|\bany (?:news|progress|update)s?\b|\bhow(?:'s| is) it going\b/;
const REPORT = /\b(?:report|post-?mortem|write-?up|summary|rca doc)\b/;
const CHANGES =
  /\b(?:changes|changed|deploys|deployed|deployments?|rollouts?|releases?|config (?:changes?|updates?))\b|^(?:change|deploy)s?\b/;
const CHANGE_QUESTION = /\b(?:what|which|any|recent|list|show|were there|has|have|did)\b|^(?:changes|deploys|deployments|releases)\b/;
const DIAGNOSE =
  /\b(?:why|diagnose|diagnosis|investigate|debug|troubleshoot|root cause|rca|what'?s wrong|what is wrong|what'?s going on|failing|fails|failed|failure|broken|down|slow|errors?|5xx|latency|timeouts?|outage|incident|issue|problem|alert|degraded|unhealthy|look into|look at|check)\b/;

const STOPWORDS = new Set([
  'the', 'a', 'an', 'it', 'this', 'that', 'there', 'everything', 'anything', 'something', 'things', 'thing', 'we', 'you',
  'i', 'me', 'our', 'my', 'prod', 'production', 'staging', 'site', 'system', 'service', 'services', 'app', 'so', 'still',
  'now', 'today', 'again', 'what', 'why', 'going', 'on', 'in', 'wrong', 'up', 'is', 'are', 'being', 'been', 'getting',
  'all', 'latency', 'errors', 'error', 'slow', 'failing', 'down', 'broken', 'alert', 'incident', 'issue', 'problem',
]);

/**
 * Parses one chat or console line into an intent. Pure; the result is validated with IntentSchema. The second
 * argument is either options or just the list of known service names.
 */
export function parseIntent(line: string, options: IntentOptions | readonly string[] = {}): Intent {
  const opts: IntentOptions = isServiceList(options) ? { knownServices: options } : options;
  const raw = stripMention(typeof line === 'string' ? line : '');
  const text = normalise(raw);
  return IntentSchema.parse(classify(raw, text, opts));
}

function isServiceList(o: IntentOptions | readonly string[]): o is readonly string[] {
  return Array.isArray(o);
}

export function stripMention(line: string): string {
  let s = line.trim();
  for (let i = 0; i < 3; i++) {
    const next = s.replace(MENTION, '');
    if (next === s) break;
    s = next.trim();
  }
  return s;
}

function normalise(s: string): string {
  return s
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[!?.…]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function classify(raw: string, text: string, options: IntentOptions): Intent {
  if (text === '') return { kind: 'unknown', text: raw };
  if (HELP.test(text)) return { kind: 'help' };
  const cause = ROOT_CAUSE.exec(raw.trim());
  if (cause) return { kind: 'root_cause', cause: cause[1]!.trim().slice(0, 500) };
  if (APPROVE.test(text)) return { kind: 'approve' };
  const reject = REJECT.exec(text);
  if (reject) {
    const reason = raw.trim().replace(/^\/?reject[\s:,-]*/i, '').trim();
    return reason && reject[1] !== undefined ? { kind: 'reject', reason: reason.slice(0, 500) } : { kind: 'reject' };
  }
  if (WHY.test(text)) return { kind: 'why' };
  // a how-to question is for the runbooks, even when it names a failure ("how do we recover from a failed deploy?")
  if (ASK.test(text) && !ROLLBACK.test(text)) return { kind: 'ask', question: raw.trim().replace(/^\/?kb\b\s*/i, '').slice(0, 500) || raw.trim().slice(0, 500) };
  if (DRY_RUN.test(text)) return { kind: 'dry_run' };
  if (ROLLBACK.test(text)) return { kind: 'rollback' };
  if (STATUS.test(text)) return { kind: 'status' };
  if (CHANGES.test(text) && CHANGE_QUESTION.test(text) && !/^why\b/.test(text)) {
    return { kind: 'changes', sinceMinutes: parseSinceMinutes(text) ?? options.defaultChangeMinutes ?? 60 };
  }
  if (REPORT.test(text) && !/^why\b/.test(text)) return { kind: 'report' };
  const service = guessService(text, options.knownServices);
  if (DIAGNOSE.test(text) || (service && options.knownServices && text.split(' ').length <= 2)) {
    return service ? { kind: 'diagnose', service } : { kind: 'diagnose' };
  }
  return { kind: 'unknown', text: raw };
}

const UNIT_MINUTES: Record<string, number> = { m: 1, min: 1, mins: 1, minute: 1, minutes: 1, h: 60, hr: 60, hrs: 60, hour: 60, hours: 60, d: 1440, day: 1440, days: 1440, w: 10080, week: 10080, weeks: 10080 };
const NUMBER_WORDS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, ten: 10, twelve: 12, fifteen: 15, twenty: 20, thirty: 30, 'forty-five': 45, 'half an': 0.5, half: 0.5, couple: 2, 'a couple of': 2, 'a few': 3, few: 3 };

/** "last hour" → 60, "past 2 hours" → 120, "last 30m" → 30, "since yesterday" → 1440, "today" → 1440. */
export function parseSinceMinutes(text: string): number | undefined {
  const t = text.toLowerCase();
  const num = /\b(?:last|past|previous|since|in|within|over|for)\s+(?:the\s+)?(\d+(?:\.\d+)?|a couple of|a few|half an|forty-five|[a-z]+)?\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\b/.exec(t);
  if (num) {
    const unit = UNIT_MINUTES[num[2]!] ?? 60;
    const q = num[1] === undefined ? 1 : /^\d/.test(num[1]) ? Number(num[1]) : NUMBER_WORDS[num[1]];
    if (q !== undefined && q > 0) return Math.max(1, Math.round(q * unit));
  }
  const compact = /\b(\d+)\s*(m|min|h|d)\b/.exec(t);
  if (compact) return Math.max(1, Number(compact[1]) * (UNIT_MINUTES[compact[2]!] ?? 1));
  if (/\b(?:yesterday|today|last day|24h)\b/.test(t)) return 1440;
  if (/\b(?:this morning)\b/.test(t)) return 360;
  return undefined;
}

/** A known service named in the text (longest first, also "checkout" for "checkout-service"), else a guess. */
export function guessService(text: string, known?: readonly string[]): string | undefined {
  const t = text.toLowerCase();
  if (known && known.length) {
    const sorted = [...known].sort((a, b) => b.length - a.length);
    for (const name of sorted) {
      if (new RegExp(`(?<![\\w-])${escapeRe(name.toLowerCase())}(?![\\w-])`).test(t)) return name;
    }
    // "checkout" when the CMDB says "checkout-service" / "checkout-svc"
    for (const name of sorted) {
      const base = name.toLowerCase().replace(/[-_](?:service|svc|api|app|server)$/, '');
      if (base !== name.toLowerCase() && base.length >= 3 && new RegExp(`(?<![\\w-])${escapeRe(base)}(?![\\w-])`).test(t)) return name;
    }
    return undefined;
  }
  const patterns = [
    /\b(?:why is|why's|why are|is|are)\s+(?:the\s+)?([a-z][\w-]*)\s+(?:service\s+)?(?:failing|down|slow|broken|erroring|timing out|returning|throwing|so slow|degraded|unhealthy|having)/,
    /\b(?:diagnose|investigate|debug|troubleshoot|check|look (?:into|at))\s+(?:the\s+)?([a-z][\w-]*)/,
    /\b(?:errors?|latency|5xx|timeouts?|problems?|issues?)\s+(?:in|on|from|with|for)\s+(?:the\s+)?([a-z][\w-]*)/,
    /\b(?:service|svc)[=:\s]+([a-z][\w-]*)/,
    /^([a-z][\w-]*(?:-[\w]+)+)\b/,
  ];
  for (const re of patterns) {
    const m = re.exec(t)?.[1];
    if (m && !STOPWORDS.has(m)) return m;
  }
  return undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { ReceiverMultipleAckError, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import { z } from 'zod';

/**
 * A Bolt receiver that owns no server: the shared HTTP server hands it Slack's requests (POST /slack/events) as
 * Fetch-API Requests and sends back the Response it returns.
 *
 * Unlike Bolt's HTTPReceiver, nothing a sender puts in a request can throw out of it: every request gets an answer
 * (401 unsigned, forged, or with a timestamp more than five minutes off either way; 400 malformed; 500 when the app
 * throws before acknowledging). Responses go out when the app has finished with the event (Bolt's
 * processBeforeResponse semantics), so a listener can persist what it was sent before Slack hears "200"; listeners
 * here hand long work to background jobs, and after `ackTimeoutMs` the acknowledgement goes out regardless.
 */

export interface SlackReceiverOptions {
  signingSecret: string;
  log?: (line: string) => void;
  /** how long the app may take before Slack gets an answer anyway (default 3000 ms: Slack's own limit) */
  ackTimeoutMs?: number;
  /** the clock signatures' timestamps are checked against (ms since the epoch); default Date.now */
  now?: () => number;
}

/** Slack documents five minutes; a timestamp further off either way is a replay or a wrong clock. */
const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;
const RETRY_NUM = /^\d{1,6}$/;

const JsonObject = z.record(z.string(), z.unknown());
/** Events and interactivity payloads carry a `type`; slash commands a `command` */
const SlackPayload = z.union([z.looseObject({ type: z.string() }), z.looseObject({ command: z.string() })]);
const UrlVerification = z.object({ type: z.literal('url_verification'), challenge: z.string().max(1000) });

export class SlackHttpReceiver implements Receiver {
  private app: App | null = null;
  private accepting = false;
  private readonly log: (line: string) => void;
  private readonly ackTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: SlackReceiverOptions) {
    if (!opts.signingSecret) throw new Error('the Slack receiver needs a signing secret');
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
    this.now = opts.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  /** Called by App#start: from now on requests reach the app (before, they get 503 and Slack retries). */
  async start(): Promise<void> {
    this.accepting = true;
  }

  async stop(): Promise<void> {
    this.accepting = false;
  }

  /** The handler for POST /slack/events. Never rejects. */
  readonly handle = async (request: Request): Promise<Response> => {
    try {
      return await this.answer(request);
    } catch (err) {
      this.log(`slack: could not handle a request: ${(err as Error).message}`);
      return text(500, 'internal error');
    }
  };

  private async answer(request: Request): Promise<Response> {
    let raw: Buffer;
    try {
      raw = Buffer.from(await request.arrayBuffer());
    } catch {
      return text(400, 'the request body could not be read');
    }
    const form = mediaType(request.headers.get('content-type')) === 'application/x-www-form-urlencoded';
    const bodyText = raw.toString('utf8');
    // Slack's SSL check is unsigned and carries nothing for the app: answer it and pass nothing on
    if (form && new URLSearchParams(bodyText).get('ssl_check') === '1') return new Response(null, { status: 200 });

    const refusal = this.verify(request.headers, raw);
    if (refusal) {
      this.log(`slack: refused a request: ${refusal}`);
      return text(401, `Slack signature verification failed: ${refusal}`);
    }

    const parsed = parseBody(bodyText, form);
    if (!parsed.ok) return text(400, parsed.error);
    if (parsed.body.type === 'url_verification') {
      const verification = UrlVerification.safeParse(parsed.body);
      return verification.success ? json(200, { challenge: verification.data.challenge }) : text(400, 'url_verification without a challenge string');
    }
    if (!SlackPayload.safeParse(parsed.body).success) return text(400, 'not a Slack payload: it has neither "type" nor "command"');

    if (!this.app || !this.accepting) return new Response('the Slack adapter is not running', { status: 503, headers: { 'retry-after': '5', 'content-type': 'text/plain; charset=utf-8' } });
    return this.dispatch(this.app, {
      body: parsed.body,
      ...optional('retryNum', retryNum(request.headers.get('x-slack-retry-num'))),
      ...optional('retryReason', request.headers.get('x-slack-retry-reason') ?? undefined),
    });
  }

  /** Why the request is not Slack's, or null when its v0 signature and timestamp check out. */
  private verify(headers: Headers, raw: Buffer): string | null {
    const signature = headers.get('x-slack-signature');
    const timestamp = headers.get('x-slack-request-timestamp');
    if (!signature || !timestamp) return 'X-Slack-Signature or X-Slack-Request-Timestamp is missing';
    if (!TIMESTAMP.test(timestamp)) return 'X-Slack-Request-Timestamp is not a number of seconds';
    const skew = Math.abs(Math.floor(this.now() / 1000) - Number(timestamp));
    if (skew > MAX_CLOCK_SKEW_SECONDS) return `the request timestamp is ${skew} s away from now (at most ${MAX_CLOCK_SKEW_SECONDS} s)`;
    if (!SIGNATURE.test(signature)) return 'X-Slack-Signature is not a v0 signature';
    const expected = createHmac('sha256', this.opts.signingSecret).update(`v0:${timestamp}:`).update(raw).digest();
    const given = Buffer.from(signature.slice(3), 'hex');
    return timingSafeEqual(expected, given) ? null : 'the signature does not match the body';
  }

  /** Hands the event to Bolt; the Response follows the app's ack, its failure, or the ack deadline. */
  private dispatch(app: App, event: Omit<ReceiverEvent, 'ack'>): Promise<Response> {
    return new Promise<Response>((resolve) => {
      let stored: Response | null = null;
      let answered = false;
      const answer = (response: Response) => {
        if (answered) return;
        answered = true;
        clearTimeout(deadline);
        resolve(response);
      };
      const unacknowledged = () => text(404, 'no listener acknowledged this request');
      const ack: ReceiverEvent['ack'] = async (responseBody?: unknown) => {
        if (stored) throw new ReceiverMultipleAckError();
        stored = contentResponse(responseBody);
        if (answered) this.log(`slack: a listener acknowledged after ${this.ackTimeoutMs} ms; Slack already had its answer`);
      };
      const deadline = setTimeout(() => {
        if (!stored) this.log(`slack: no acknowledgement within ${this.ackTimeoutMs} ms`);
        answer(stored ?? unacknowledged());
      }, this.ackTimeoutMs);
      Promise.resolve()
        .then(() => app.processEvent({ ...event, ack }))
        .then(
          () => answer(stored ?? unacknowledged()),
          (err: unknown) => {
            this.log(`slack: the app failed on an event${stored ? ' after acknowledging it' : ''}: ${(err as Error)?.message ?? String(err)}`);
            answer(stored ?? text(500, 'the app failed on this request'));
          },
        );
    });
  }
}

type Parsed = { ok: true; body: Record<string, unknown> } | { ok: false; error: string };

/** JSON for events; form encoding for slash commands (fields) and interactivity (`payload=` JSON). */
function parseBody(bodyText: string, form: boolean): Parsed {
  if (!form) return parseJsonObject(bodyText, 'the body');
  const params = new URLSearchParams(bodyText);
  const payload = params.get('payload');
  if (payload !== null) return parseJsonObject(payload, 'the payload field');
  const fields = Object.fromEntries(params);
  return Object.keys(fields).length > 0 ? { ok: true, body: fields } : { ok: false, error: 'the form body is empty' };
}

function parseJsonObject(source: string, what: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    return { ok: false, error: `${what} is not valid JSON (${(err as Error).message})` };
  }
  const object = JsonObject.safeParse(value);
  if (!object.success || Array.isArray(value)) return { ok: false, error: `${what} must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` };
  return { ok: true, body: object.data };
}

function retryNum(header: string | null): number | undefined {
  return header !== null && RETRY_NUM.test(header) ? Number(header) : undefined;
}

function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The ack's body as Bolt's HTTPReceiver sends it: nothing, text, or JSON. */
function contentResponse(body: unknown): Response {
  if (body === undefined || body === null || body === '') return new Response(null, { status: 200 });
  if (typeof body === 'string') return text(200, body);
  return json(200, body);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for slack.com/api that the cluster benchmark and tests point serve and the workers at (SLACK_API_URL):
 * it answers the Web API methods the copilot calls as Slack documents them and records each call with the moment it
 * arrived, so that threads can be read back — which process wrote what, and how soon after the alert.
 */
export interface RecordedCall {
  method: string;
  /** the thread a reply was posted in (Slack's thread_ts); absent for a thread's root */
  threadTs?: string;
  /** the ts Slack gave the new message (chat.postMessage) */
  ts?: string;
  text: string;
  /** the Block Kit blocks as sent (buttons carry their values here) */
  blocks?: unknown[];
  /** chat.postEphemeral: who it was shown to */
  user?: string;
  at: number;
}

export interface SlackRecorder {
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

export async function startSlackRecorder(): Promise<SlackRecorder> {
  const calls: RecordedCall[] = [];
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/upload/')) {
        res.end('OK');
        return;
      }
      const method = url.pathname.replace(/^\/api\//, '');
      const params = readSlackParams(raw, String(req.headers['content-type'] ?? ''));
      const ts = `1700000000.${String(++seq).padStart(6, '0')}`;
      const threadTs = typeof params['thread_ts'] === 'string' ? params['thread_ts'] : undefined;
      const blocks = params['blocks'];
      calls.push({
        method,
        text: typeof params['text'] === 'string' ? params['text'] : '',
        at: Date.now(),
        ...(threadTs ? { threadTs } : {}),
        ...(method === 'chat.postMessage' ? { ts } : {}),
        ...(Array.isArray(blocks) ? { blocks } : {}),
        ...(typeof params['user'] === 'string' ? { user: params['user'] } : {}),
      });
      const port = (server.address() as AddressInfo).port;
      const answers: Record<string, unknown> = {
        'auth.test': { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', user: 'sre-copilot' },
        'chat.postMessage': { ok: true, channel: params['channel'], ts, message: { ts } },
        'chat.update': { ok: true, channel: params['channel'], ts: params['ts'] },
        'chat.postEphemeral': { ok: true, message_ts: ts },
        'files.getUploadURLExternal': { ok: true, upload_url: `http://127.0.0.1:${port}/upload/F${seq}`, file_id: `F${seq}` },
        'files.completeUploadExternal': { ok: true, files: [{ id: `F${seq}` }] },
      };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answers[method] ?? { ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A Web API call's arguments as Slack reads them: a JSON body, or a form whose JSON-valued fields (blocks,
 * attachments) are parsed too; a value that does not parse stays text.
 */
export function readSlackParams(raw: string, contentType: string): Record<string, unknown> {
  const json = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  if (contentType.includes('json')) {
    const body = raw ? json(raw) : {};
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  }
  const params: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) params[k] = /^[[{]/.test(v) ? json(v) : v;
  return params;
}

/** One incident thread as the recorder saw it: its root and the replies in it, in order. */
export interface RecordedThread {
  rootTs: string;
  rootText: string;
  rootAt: number;
  replies: RecordedCall[];
}

/** The threads the copilot opened (roots posted by chat.postMessage without thread_ts), oldest first. */
export function recordedThreads(calls: RecordedCall[]): RecordedThread[] {
  const threads = new Map<string, RecordedThread>();
  for (const c of calls) {
    if (c.method !== 'chat.postMessage') continue;
    if (!c.threadTs && c.ts) threads.set(c.ts, { rootTs: c.ts, rootText: c.text, rootAt: c.at, replies: [] });
    else if (c.threadTs) threads.get(c.threadTs)?.replies.push(c);
  }
  return [...threads.values()];
}

/** The diagnosis message (ranked causes, or none found) among a thread's replies. */
export const isDiagnosis = (c: RecordedCall): boolean => /^(Ranked hypotheses|No root-cause hypothesis)/.test(c.text);

/** Slack's block_actions payload for a click on a button of a message in a thread, as Slack posts it (form-encoded). */
export function blockActionsPayload(click: { user: string; value: string; ts: string; threadTs: string; blocks: unknown[]; responseUrl?: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T1' },
    user: { id: click.user },
    api_app_id: 'A1',
    token: 'x',
    trigger_id: 't',
    channel: { id: 'CALERTS' },
    message: { ts: click.ts, thread_ts: click.threadTs, type: 'message', text: 'plan', blocks: click.blocks },
    ...(click.responseUrl ? { response_url: click.responseUrl } : {}),
    actions: [{ type: 'button', action_id: click.value.split(':')[0], block_id: 'b', value: click.value, action_ts: '1' }],
  };
}

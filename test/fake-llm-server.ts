import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that speaks the providers' real wire protocols (OpenAI chat completions, Anthropic messages)
 * with scripted replies, so the LLM path is tested without any network or account.
 */
export interface FakeLlm {
  url: string;
  requests: { path: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

export async function startFakeLlm(opts: { reply: string; delayMs?: number }): Promise<FakeLlm> {
  const requests: FakeLlm['requests'] = [];
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ path: req.url ?? '', headers: req.headers, body });
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    if (res.destroyed) return;
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/chat/completions')) {
      res.end(JSON.stringify({
        id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'scripted',
        choices: [{ index: 0, message: { role: 'assistant', content: opts.reply }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }));
    } else if (req.url?.endsWith('/messages')) {
      res.end(JSON.stringify({
        id: 'msg_1', type: 'message', role: 'assistant', model: 'scripted', content: [{ type: 'text', text: opts.reply }],
        stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 10 },
      }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

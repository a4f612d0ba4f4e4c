/**
 * The process test/crash.test.ts kills: the serve runtime and a copilot on a console channel, driven through the
 * core. Every message posted to the thread is printed as a JSON line; when one matches HANG_AT, the process prints
 * {"hang": text} and stops there, as a process does when it is about to die, so that the test's SIGKILL lands at
 * a known point of the incident's lifecycle.
 *
 * argv: "alert" opens the scenario's alert; "approve" also approves the plan as alice.
 */
import { ConsoleChannel } from '../src/bot/console-channel.js';
import type { ChatChannel } from '../src/chat/channel.js';
import { loadConfig } from '../src/config.js';
import { createServeRuntime } from '../src/runtime.js';

const hangAt = process.env['HANG_AT'] ? new RegExp(process.env['HANG_AT']) : null;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const console_ = new ConsoleChannel({ stream: null });
const channel: ChatChannel = {
  name: console_.name,
  async post(thread, message) {
    say({ post: message.text });
    if (hangAt?.test(message.text)) {
      say({ hang: message.text });
      setInterval(() => undefined, 60_000);
      await new Promise(() => undefined);
    }
    return console_.post(thread, message);
  },
  update: (ref, message) => console_.update(ref, message),
};

const runtime = await createServeRuntime({ config: loadConfig(), seed: Number(process.env['SEED'] ?? 1) });
const copilot = runtime.copilotFor(channel);
const opened = await copilot.handleAlertText(JSON.stringify(runtime.world!.alertPayload()));
if (!opened.ok) throw new Error(opened.error);
say({ opened: opened.session.incident.id });
if (process.argv.includes('approve')) say({ decided: await copilot.decide(opened.session.incident.id, 'alice', 'approved') });
await runtime.close();

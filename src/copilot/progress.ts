import type { ChatChannel } from '../chat/channel.js';
import { progressMessage } from '../chat/messages.js';
import type { ThreadRef } from '../model/incident.js';
import type { ExpertRunner } from '../investigation/types.js';

type Status = 'pending' | 'running' | 'done' | 'failed';

/** One progress message per investigation, updated in place as experts start and finish. */
export class ProgressTracker {
  private readonly states: { expert: string; id: string; status: Status; findings?: number }[];
  private ref: { threadId: string; messageId: string } | null = null;

  constructor(
    private readonly channel: ChatChannel,
    private readonly thread: ThreadRef,
    experts: ExpertRunner[],
  ) {
    this.states = experts.map((e) => ({ expert: e.name, id: e.id, status: 'pending' as Status }));
  }

  /** The experts run in parallel from the start, so the first message already shows them all at work. */
  async start(): Promise<void> {
    for (const s of this.states) s.status = 'running';
    this.ref = await this.channel.post(this.thread, progressMessage(this.view()));
  }

  async mark(id: string, status: Status, findings?: number): Promise<void> {
    const state = this.states.find((s) => s.id === id);
    if (!state || state.status === status) return;
    state.status = status;
    if (findings !== undefined) state.findings = findings;
    if (this.ref) await this.channel.update(this.ref, progressMessage(this.view()));
  }

  private view() {
    return this.states.map(({ expert, status, findings }) => ({ expert, status, ...(findings !== undefined ? { findings } : {}) }));
  }
}

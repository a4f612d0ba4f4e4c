import { createAnthropic } from '@ai-sdk/anthropic';
import type { MastraModelConfig } from '@mastra/core/llm';
import type { LlmConfig } from '../config.js';

/**
 * Which language model the agents get. Without one configured, agents still exist (their tools run
 * deterministically) and any attempt to converse fails with a message saying how to configure a provider.
 */
export interface ModelChoice {
  agentModel: MastraModelConfig;
  configured: boolean;
  label: string;
}

export function chooseModel(llm: LlmConfig | null): ModelChoice {
  if (!llm) {
    // Never called: the deterministic planner does not converse. Points nowhere routable on purpose.
    return { agentModel: { providerId: 'openai', modelId: 'unconfigured', url: 'http://127.0.0.1:9/v1' }, configured: false, label: 'no LLM' };
  }
  const apiKey = llm.apiKey ?? 'ollama';
  if (llm.provider === 'anthropic') {
    // Mastra's router sends any custom URL the OpenAI way; Anthropic's own protocol needs its provider package.
    // The cast bridges two patch versions of @ai-sdk/provider's types (Mastra bundles its own copy); at run time
    // Mastra dispatches on the model's specificationVersion.
    const model = createAnthropic({ baseURL: llm.baseUrl, apiKey })(llm.model) as unknown as MastraModelConfig;
    return { agentModel: model, configured: true, label: `anthropic ${llm.model}` };
  }
  return { agentModel: { providerId: 'openai', modelId: llm.model, url: llm.baseUrl, apiKey }, configured: true, label: `${llm.provider} ${llm.model}` };
}

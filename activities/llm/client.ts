import OpenAI from 'openai';

export interface LlmSettings {
  apiKey: string | undefined;
  baseUrl: string | undefined;
  model: string;
  timeoutMs: number;
  configured: boolean;
}

/**
 * One OpenAI-compatible client per worker, so connections are reused across turns.
 * Retries are Temporal's job (durable, visible in history), so the SDK's own are off.
 */
export function createLlmClient(settings: LlmSettings): OpenAI | null {
  if (!settings.configured) return null;
  return new OpenAI({
    // Local servers (Ollama, vLLM, LM Studio) take no key, but the SDK requires a string.
    apiKey: settings.apiKey ?? 'no-key',
    baseURL: settings.baseUrl,
    maxRetries: 0,
    timeout: settings.timeoutMs,
  });
}

export const NO_LLM_REPLY =
  'No language model is configured, so I cannot answer yet. Set LLM_API_KEY to an OpenAI API key, ' +
  'or LLM_BASE_URL to an OpenAI-compatible server (for example http://localhost:11434/v1 for Ollama) ' +
  'and LLM_MODEL to its model name, then restart Dynamiq.';

export const SYSTEM_PROMPT =
  'You are Dynamiq, a chat-ops assistant for platform and infrastructure teams. ' +
  'Answer concisely and precisely. When you are not sure, say so instead of guessing.';

import type { ServerResponse } from 'node:http';
import type { FakeUsage } from './script.js';

/** Writes OpenAI chat-completion chunks as SSE `data:` lines; one instance per response. */
export interface ChunkWriter {
  start(): void;
  content(text: string): void;
  finish(reason: 'stop' | 'length', usage: FakeUsage): void;
}

export function createChunkWriter(res: ServerResponse, model: string, id: string): ChunkWriter {
  const created = Math.floor(Date.now() / 1000);
  const write = (choices: unknown[], extra: Record<string, unknown> = {}): void => {
    const chunk = { id, object: 'chat.completion.chunk', created, model, choices, ...extra };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  return {
    start() {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      write([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    },
    content(text) {
      write([{ index: 0, delta: { content: text }, finish_reason: null }]);
    },
    finish(reason, usage) {
      write([{ index: 0, delta: {}, finish_reason: reason }]);
      // Usage comes last with empty choices, as OpenAI sends it for stream_options.include_usage.
      write([], { usage: usageJson(usage) });
      res.end('data: [DONE]\n\n');
    },
  };
}

export function usageJson(usage: FakeUsage): Record<string, number> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** The non-streaming form of a whole answer (opencode 1.18 streams, but be robust). */
export function completionJson(model: string, id: string, text: string, usage: FakeUsage): unknown {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: usageJson(usage),
  };
}

/** Splits text into at most `count` non-empty pieces of similar length. */
export function splitText(text: string, count: number): string[] {
  const pieces: string[] = [];
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces.length > 0 ? pieces : [''];
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { completionJson, createChunkWriter, splitText } from './openai-stream.js';
import {
  contextOverflowBody,
  DEFAULT_USAGE,
  type ChatRequest,
  type FakeResponse,
} from './script.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Answers one chat-completions request as scripted; resolves when the response has ended. */
export async function answer(
  res: ServerResponse,
  request: ChatRequest,
  response: FakeResponse,
  closing: AbortSignal,
): Promise<void> {
  const id = `chatcmpl-fake-${Date.now().toString(36)}`;
  switch (response.kind) {
    case 'status':
      res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
      res.end(
        typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? {}),
      );
      return;
    case 'context_overflow':
      sendJson(res, 400, contextOverflowBody());
      return;
    case 'ok':
    case 'slow': {
      const usage = response.kind === 'ok' ? (response.usage ?? DEFAULT_USAGE) : DEFAULT_USAGE;
      if (request.stream !== true) {
        sendJson(res, 200, completionJson(request.model, id, response.text, usage));
        return;
      }
      const writer = createChunkWriter(res, request.model, id);
      writer.start();
      if (response.kind === 'ok') writer.content(response.text);
      else {
        const write = (text: string): void => {
          writer.content(text);
        };
        if (!(await streamSlowly(res, write, response, closing))) return;
      }
      writer.finish('stop', usage);
    }
  }
}

/** Streams the pieces with pauses; false when the client went away or the fake closed. */
export async function streamSlowly(
  res: ServerResponse,
  write: (text: string) => void,
  response: { text: string; delayMs: number; chunks?: number },
  closing: AbortSignal,
): Promise<boolean> {
  const gone = new AbortController();
  res.once('close', () => {
    gone.abort();
  });
  const signal = AbortSignal.any([gone.signal, closing]);
  for (const piece of splitText(response.text, response.chunks ?? 10)) {
    write(piece);
    const slept = await sleep(response.delayMs, true, { signal }).catch(() => false);
    if (!slept) {
      res.destroy();
      return false;
    }
  }
  return true;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body));
}

export async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

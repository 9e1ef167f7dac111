// POST /api/ai/chat with `Accept: text/event-stream`: the reply arrives as
// `delta` events, then one `done` or `error` (docs/chat.md). apiService's
// `request` answers whole JSON bodies only, so the streaming call lives here,
// on the same URL resolution, token and error mapping.
import { ApiError, apiUrl, initApi, networkError, toApiError, tokenStore } from '../../api/apiService';
import type { ChatDelta, ChatDone, ChatResponse, ChatStreamError } from '../../api/generated';
import type { ChatRequest } from '../../api/types';

export interface SseEvent {
  event: string;
  data: string;
}

/** Splits a text/event-stream into events; comments (heartbeats) and unknown fields are skipped. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(text: string): SseEvent[] {
    this.buffer += text;
    const out: SseEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone \r at the end of the buffer may be the first half of \r\n: wait for more.
      if (width === 1 && this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(newline + width);
      if (line === '') {
        if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') this.event = value;
        else if (field === 'data') this.data.push(value);
      }
    }
    return out;
  }
}

const STATUS_FOR_CODE: Record<string, number> = { provider_unavailable: 503, safety_refusal: 400, invalid_request: 400 };

/** The ApiError of an `error` event; `details.conversation_id` names the conversation the message was stored in. */
export function streamError(data: ChatStreamError): ApiError {
  const status = STATUS_FOR_CODE[data.code] ?? 500;
  return toApiError(status, { error: { code: data.code, message: data.message, details: { conversation_id: data.conversation_id } } });
}

/** The conversation an error left a stored message in (so the page can show it), if any. */
export function conversationOf(error: unknown): string | null {
  const id = error instanceof ApiError ? error.details.conversation_id : null;
  return typeof id === 'string' ? id : null;
}

interface StreamOptions {
  onDelta: (text: string) => void;
  signal?: AbortSignal;
  /** `/api/ai/chat` (a new message) or `/api/ai/chat/regenerate` (`{conversation_id}`: a new last reply). */
  path?: '/api/ai/chat' | '/api/ai/chat/regenerate';
}

/**
 * Sends a chat message (or asks for a new last reply) and streams the reply
 * through `onDelta`; resolves with the stored ids. Errors are ApiErrors; an
 * abort through `signal` rejects with the DOMException `AbortError`.
 */
export async function streamChat(
  body: ChatRequest | { conversation_id: string },
  { onDelta, signal, path = '/api/ai/chat' }: StreamOptions,
): Promise<ChatDone> {
  await initApi();
  const token = tokenStore.get();
  const headers: Record<string, string> = { Accept: 'text/event-stream', 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;

  let res: Response;
  try {
    res = await fetch(apiUrl(path), { method: 'POST', headers, body: JSON.stringify(body), signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw networkError();
  }

  const type = res.headers.get('Content-Type') ?? '';
  if (!res.ok || !type.includes('text/event-stream') || !res.body) {
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!res.ok) {
      if (res.status === 401 && token) tokenStore.clear();
      throw toApiError(res.status, data, res.headers.get('Retry-After'));
    }
    // A server (or a proxy) that answered with JSON after all: one whole reply.
    const reply = data as ChatResponse;
    onDelta(reply.message.text);
    return { conversation_id: reply.conversation_id, message_id: reply.message.id };
  }

  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') throw e;
        throw networkError();
      }
      const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      for (const event of parser.push(chunk.done ? text + '\n\n' : text)) {
        if (event.event === 'delta') onDelta((JSON.parse(event.data) as ChatDelta).text);
        else if (event.event === 'done') return JSON.parse(event.data) as ChatDone;
        else if (event.event === 'error') throw streamError(JSON.parse(event.data) as ChatStreamError);
      }
      if (chunk.done) throw networkError(); // the stream ended without `done`: the connection dropped
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

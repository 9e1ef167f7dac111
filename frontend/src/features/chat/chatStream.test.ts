import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, tokenStore } from '../../api/apiService';
import { jsonResponse } from '../../test/render';
import { SseParser, conversationOf, streamChat } from './chatStream';
import { sseResponse } from './sseResponse.testutil';

describe('SseParser', () => {
  it('joins events split across reads and skips comments', () => {
    const p = new SseParser();
    expect(p.push(': accepted\n\nevent: del')).toEqual([]);
    expect(p.push('ta\ndata: {"text":"Hi"}\n')).toEqual([]);
    expect(p.push('\n: keep-alive\n\nevent: done\r\ndata: {}\r\n\r\n')).toEqual([
      { event: 'delta', data: '{"text":"Hi"}' },
      { event: 'done', data: '{}' },
    ]);
  });

  it('waits when a read ends between \\r and \\n', () => {
    const p = new SseParser();
    expect(p.push('event: delta\r\ndata: {"text":"a"}\r\n\r')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'delta', data: '{"text":"a"}' }]);
  });
});

describe('streamChat', () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    localStorage.clear();
    tokenStore.set('tok');
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('streams deltas and resolves with the stored ids', async () => {
    fetchMock.mockResolvedValue(
      sseResponse([': accepted\n\n', 'event: delta\ndata: {"text":"Neon "}\n\n', 'event: delta\ndata: {"text":"cats"}\n\n',
        'event: done\ndata: {"conversation_id":"c1","message_id":"m2"}\n\n']),
    );
    const seen: string[] = [];
    const done = await streamChat({ message: 'hi' }, { onDelta: (t) => seen.push(t) });
    expect(seen).toEqual(['Neon ', 'cats']);
    expect(done).toEqual({ conversation_id: 'c1', message_id: 'm2' });
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/ai/chat');
    expect((init?.headers as Record<string, string>).Accept).toBe('text/event-stream');
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('turns an error event into an ApiError naming the conversation', async () => {
    fetchMock.mockResolvedValue(
      sseResponse(['event: error\ndata: {"code":"safety_refusal","message":"Blocked by filters.","conversation_id":"c9"}\n\n']),
    );
    const error = await streamChat({ message: 'x' }, { onDelta: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('Blocked by filters.');
    expect(conversationOf(error)).toBe('c9');
  });

  it('refusals before the stream are the JSON errors of the API', async () => {
    fetchMock.mockResolvedValue(jsonResponse(402, { error: { code: 'insufficient_credits', message: 'no', details: {} } }));
    const error = await streamChat({ message: 'x' }, { onDelta: () => undefined }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(402);
    expect((error as ApiError).action).toBe('pricing');
    expect(conversationOf(error)).toBeNull();
  });

  it('a stream that ends without done is a network error', async () => {
    fetchMock.mockResolvedValue(sseResponse(['event: delta\ndata: {"text":"half"}\n\n']));
    const error = await streamChat({ message: 'x' }, { onDelta: () => undefined }).catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('network');
  });

  it('accepts a whole JSON answer too', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(200, { conversation_id: 'c1', message: { id: 'm1', role: 'assistant', text: 'All at once', attachments: [], partial: false, created_at: '2026-01-01T00:00:00Z' } }),
    );
    const seen: string[] = [];
    expect(await streamChat({ message: 'x' }, { onDelta: (t) => seen.push(t) })).toEqual({ conversation_id: 'c1', message_id: 'm1' });
    expect(seen).toEqual(['All at once']);
  });
});

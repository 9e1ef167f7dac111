import { afterEach, describe, expect, it, vi } from 'vitest';
import { resetApiForTests, tokenStore } from './apiService';
import { client } from './client';

afterEach(() => {
  vi.unstubAllGlobals();
  tokenStore.clear();
  resetApiForTests(null);
});

describe('the generated client (openapi-fetch over openapi.json)', () => {
  it('sends typed requests with the session token and reads typed answers', async () => {
    const seen: Request[] = [];
    vi.stubGlobal('fetch', vi.fn(async (req: Request) => {
      seen.push(req);
      return new Response(JSON.stringify({ items: [], next_cursor: null }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }));
    tokenStore.set('tok-1');
    const { data, error } = await client.GET('/api/ai/tasks', { params: { query: { limit: 5, type: 'video' } } });
    expect(error).toBeUndefined();
    expect(data?.items).toEqual([]);
    const url = new URL(seen[0].url);
    expect(url.pathname).toBe('/api/ai/tasks');
    expect(url.searchParams.get('limit')).toBe('5');
    expect(seen[0].headers.get('Authorization')).toBe('Bearer tok-1');
  });

  it('returns the API error body for a non-2xx answer', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(
      JSON.stringify({ error: { code: 'not_found', message: 'Task not found.', details: {} } }),
      { status: 404, headers: { 'Content-Type': 'application/json' } },
    )));
    const { data, error } = await client.GET('/api/ai/tasks/{task_id}', { params: { path: { task_id: 'x' } } });
    expect(data).toBeUndefined();
    expect(error?.error.code).toBe('not_found');
  });
});

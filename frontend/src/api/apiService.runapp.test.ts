// @vitest-environment-options {"url": "https://frontend-xyz-uc.a.run.app/gallery"}
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../test/render';
import { downloadUrl, initApi, mediaUrl, resetApiForTests, resolveHref } from './apiService';
import { client, unwrap } from './client';

/** The URL of a request: the generated client sends Request objects, the config loader a string. */
const urlOf = (input: unknown) => (input instanceof Request ? input.url : String(input));

const CONFIG = {
  api: {
    auth: 'https://auth-xyz.run.app',
    generate: 'https://generate-xyz.run.app',
    chat: 'https://chat-xyz.run.app',
    proxy: 'https://proxy-xyz.run.app',
    billing: 'https://billing-xyz.run.app',
    admin: 'https://admin-xyz.run.app',
  },
};

describe('served from *.run.app', () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    resetApiForTests(null);
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('loads /config.json once, then calls each function at its own URL', async () => {
    expect(window.location.origin).toBe('https://frontend-xyz-uc.a.run.app');
    fetchMock.mockImplementation(async (input) =>
      urlOf(input) === '/config.json' ? jsonResponse(200, CONFIG) : jsonResponse(200, { items: [], next_cursor: null }),
    );
    await unwrap(client.GET('/api/ai/tasks', { params: { query: { limit: 5 } } }));
    await unwrap(client.GET('/api/ai/chats'));
    const urls = fetchMock.mock.calls.map((c) => urlOf(c[0]));
    expect(urls).toEqual(['/config.json', 'https://generate-xyz.run.app/api/ai/tasks?limit=5', 'https://chat-xyz.run.app/api/ai/chats']);
  });

  it('prefixes media and server-relative links with the right function', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, CONFIG));
    await initApi();
    const proxied = '/api/ai/proxy?url=gs%3A%2F%2Fb%2Fo.png&sig=ff';
    expect(mediaUrl(proxied)).toBe('https://proxy-xyz.run.app' + proxied);
    expect(downloadUrl(proxied)).toBe('https://proxy-xyz.run.app' + proxied + '&download=1');
    expect(resolveHref('/api/billing/sandbox/o1')).toBe('https://billing-xyz.run.app/api/billing/sandbox/o1');
    expect(resolveHref('https://checkout.stripe.com/c/pay/x')).toBe('https://checkout.stripe.com/c/pay/x');
  });

  it('falls back to relative URLs when /config.json is missing', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    fetchMock.mockImplementation(async (input) =>
      urlOf(input) === '/config.json' ? new Response('not found', { status: 404 }) : jsonResponse(200, { status: 'ok' }),
    );
    await unwrap(client.GET('/api/health'));
    expect(fetchMock.mock.calls.map((c) => urlOf(c[0]))).toEqual(['/config.json', 'https://frontend-xyz-uc.a.run.app/api/health']);
  });
});

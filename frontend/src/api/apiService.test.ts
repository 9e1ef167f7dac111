import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setLanguage } from '../i18n';
import { jsonResponse } from '../test/render';
import {
  ApiError,
  buildUrl,
  downloadUrl,
  functionFor,
  isRunAppOrigin,
  mediaUrl,
  resetApiForTests,
  resolveBase,
  setUnauthorizedHandler,
  toApiError,
  tokenStore,
} from './apiService';
import { client, unwrap } from './client';
import type { RuntimeConfig } from './types';

/** The path and query of the n-th request the generated client sent. */
const sentPath = (mock: { mock: { calls: unknown[][] } }, n = 0) => {
  const url = new URL((mock.mock.calls[n][0] as Request).url);
  return url.pathname + url.search;
};

const CONFIG: RuntimeConfig = {
  api: {
    auth: 'https://auth-xyz.run.app',
    generate: 'https://generate-xyz.run.app/',
    chat: 'https://chat-xyz.run.app',
    proxy: 'https://proxy-xyz.run.app',
    billing: 'https://billing-xyz.run.app',
    admin: 'https://admin-xyz.run.app',
  },
};
const RUN_APP = 'https://frontend-xyz-uc.a.run.app';

describe('base URL detection', () => {
  it('recognises *.run.app origins only', () => {
    expect(isRunAppOrigin(RUN_APP)).toBe(true);
    expect(isRunAppOrigin('https://studio.example.com')).toBe(false);
    expect(isRunAppOrigin('http://127.0.0.1:8080')).toBe(false);
    expect(isRunAppOrigin('https://run.app.example.com')).toBe(false);
  });

  it('maps each API path prefix to the function that serves it', () => {
    expect(functionFor('/api/auth/login')).toBe('auth');
    expect(functionFor('/api/health')).toBe('auth');
    expect(functionFor('/api/ai/chat')).toBe('chat');
    expect(functionFor('/api/ai/chats/abc')).toBe('chat');
    expect(functionFor('/api/ai/proxy?url=gs%3A%2F%2Fb%2Fo&sig=1')).toBe('proxy');
    expect(functionFor('/api/ai/video')).toBe('generate');
    expect(functionFor('/api/ai/tasks?type=image')).toBe('generate');
    expect(functionFor('/api/ai/uploads')).toBe('generate');
    expect(functionFor('/api/billing/checkout')).toBe('billing');
    expect(functionFor('/api/admin/users')).toBe('admin');
  });

  it('uses absolute per-function URLs on *.run.app', () => {
    expect(buildUrl(RUN_APP, CONFIG, '/api/auth/me')).toBe('https://auth-xyz.run.app/api/auth/me');
    expect(buildUrl(RUN_APP, CONFIG, '/api/ai/video')).toBe('https://generate-xyz.run.app/api/ai/video');
    expect(buildUrl(RUN_APP, CONFIG, '/api/ai/chats')).toBe('https://chat-xyz.run.app/api/ai/chats');
    expect(buildUrl(RUN_APP, CONFIG, '/api/billing/packages')).toBe('https://billing-xyz.run.app/api/billing/packages');
    expect(resolveBase(RUN_APP, CONFIG, '/api/admin/stats')).toBe('https://admin-xyz.run.app');
  });

  it('stays relative on the proxy domain and the local stack', () => {
    for (const origin of ['https://studio.example.com', 'http://127.0.0.1:8080', 'http://localhost:5173']) {
      expect(resolveBase(origin, CONFIG, '/api/ai/video')).toBe('');
      expect(buildUrl(origin, CONFIG, '/api/auth/login')).toBe('/api/auth/login');
    }
  });

  it('falls back to relative URLs on *.run.app when the config is missing a function', () => {
    expect(buildUrl(RUN_APP, null, '/api/auth/me')).toBe('/api/auth/me');
    expect(buildUrl(RUN_APP, { api: { auth: 'https://a.run.app' } }, '/api/admin/stats')).toBe('/api/admin/stats');
  });
});

describe('media URLs', () => {
  afterEach(() => resetApiForTests(null));
  const proxied = '/api/ai/proxy?url=gs%3A%2F%2Fbucket%2Fmedia%2Fu%2Ft.mp4&sig=abc';

  it('passes proxy URLs through and refuses anything else', () => {
    expect(mediaUrl(proxied)).toBe(proxied);
    expect(mediaUrl('https://storage.googleapis.com/bucket/x.png')).toBeUndefined();
    expect(mediaUrl('gs://bucket/x.png')).toBeUndefined();
    expect(mediaUrl(null)).toBeUndefined();
  });

  it('adds download=1 for downloads', () => {
    expect(downloadUrl(proxied)).toBe(proxied + '&download=1');
  });
});

describe('requests and errors (the generated client through unwrap)', () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    setLanguage('en');
    localStorage.clear();
    resetApiForTests(null);
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    setUnauthorizedHandler(null);
  });

  it('sends the bearer token and JSON body to the relative path', async () => {
    tokenStore.set('tok-1');
    fetchMock.mockResolvedValue(jsonResponse(202, { id: 't1', status: 'PENDING' }));
    const task = await unwrap(client.POST('/api/ai/video', { body: { prompt: 'neon rain', duration_s: 8, aspect_ratio: '9:16' } }));
    expect('id' in task && task.id).toBe('t1');
    const sent = fetchMock.mock.calls[0][0] as Request;
    expect(sentPath(fetchMock)).toBe('/api/ai/video');
    expect(new URL(sent.url).origin).toBe(window.location.origin); // relative: same origin
    expect(sent.method).toBe('POST');
    expect(sent.headers.get('Authorization')).toBe('Bearer tok-1');
    expect(await sent.json()).toEqual({ prompt: 'neon rain', duration_s: 8, aspect_ratio: '9:16' });
  });

  it('builds the task list query without empty parameters', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, { items: [], next_cursor: null }));
    await unwrap(client.GET('/api/ai/tasks', { params: { query: { type: 'video', status: undefined, limit: 24, cursor: undefined } } }));
    expect(sentPath(fetchMock)).toBe('/api/ai/tasks?type=video&limit=24');
  });

  it('turns quota_exceeded into a message with the reset time', () => {
    const err = toApiError(429, {
      error: { code: 'quota_exceeded', message: 'quota', details: { kind: 'video', limit: 3, used: 3, resets_at: '2030-01-02T00:00:00Z' } },
    });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('quota_exceeded');
    expect(err.message).toMatch(/^Daily video quota used up\. It resets .*2030/);
    expect(err.details.limit).toBe(3);
  });

  it('points insufficient_credits at the pricing page', () => {
    const err = toApiError(402, { error: { code: 'insufficient_credits', message: 'need 10 credits', details: {} } });
    expect(err.action).toBe('pricing');
    expect(err.message).toMatch(/Pricing/);
  });

  it('uses Retry-After for rate_limited', () => {
    expect(toApiError(429, { error: { code: 'rate_limited', message: 'slow down' } }, '30').message).toBe(
      'Too many attempts. Try again in 30 s.',
    );
  });

  it('maps upload and provider codes, and speaks Chinese when the UI does', () => {
    expect(toApiError(413, { error: { code: 'payload_too_large', message: 'x' } }).message).toMatch(/too large/);
    expect(toApiError(415, { error: { code: 'unsupported_media_type', message: 'x' } }).message).toMatch(/PNG, JPEG or WebP/);
    setLanguage('zh');
    expect(toApiError(503, { error: { code: 'provider_unavailable', message: 'down' } }).message).toMatch(/AI 服务暂时不可用/);
  });

  it("falls back to the server's message for unknown codes and invalid_request", () => {
    expect(toApiError(400, { error: { code: 'invalid_request', message: 'prompt: field required', details: { field: 'prompt' } } }).message).toBe(
      'prompt: field required',
    );
    expect(toApiError(418, { error: { code: 'teapot', message: 'I am a teapot' } }).message).toBe('I am a teapot');
  });

  it('copes with a non-JSON error body (e.g. a gateway page)', async () => {
    fetchMock.mockResolvedValue(new Response('<html>Bad gateway</html>', { status: 502 }));
    const err = await unwrap(client.GET('/api/health')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('internal');
    expect((err as ApiError).message).toMatch(/unexpected error/);
  });

  it('reports a network failure as an offline message', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const err = (await unwrap(client.GET('/api/auth/me')).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('network');
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/offline/);
  });

  it('clears the token and hands off to the login redirect on 401 with a session', async () => {
    const onUnauthorized = vi.fn();
    setUnauthorizedHandler(onUnauthorized);
    tokenStore.set('expired');
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'token_expired', message: 'expired' } }));
    const err = (await unwrap(client.GET('/api/auth/me')).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/expired/);
    expect(tokenStore.get()).toBeNull();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not redirect when the login form gets wrong credentials', async () => {
    const onUnauthorized = vi.fn();
    setUnauthorizedHandler(onUnauthorized);
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'invalid_credentials', message: 'bad' } }));
    const err = (await unwrap(client.POST('/api/auth/login', { body: { email: 'a@b.co', password: 'wrongpass' } })).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe('Email or password is incorrect.');
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('returns undefined for 204 No Content', async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
    await expect(unwrap(client.DELETE('/api/ai/tasks/{task_id}', { params: { path: { task_id: 't1' } } }))).resolves.toBeUndefined();
    expect((fetchMock.mock.calls[0][0] as Request).method).toBe('DELETE');
  });
});

// A typed client of the whole API, generated from openapi.json: openapi-fetch over the `paths`
// type that openapi-typescript writes into generated.ts. Paths, bodies, query parameters and
// answers are checked by TypeScript against the backend's declared routes, e.g.
//   const { data, error } = await client.GET('/api/ai/tasks/{task_id}', { params: { path: { task_id } } });
// The session token is sent as a Bearer token, and each path goes to the function that serves it
// (routes.json; absolute per-function URLs on *.run.app, relative elsewhere).
import createClient, { type Middleware } from 'openapi-fetch';
import { apiUrl, tokenStore } from './apiService';
import type { paths } from './generated';

// openapi-fetch needs an absolute base to build a Request; the middleware below replaces it.
const PLACEHOLDER = 'http://sora.local';

export const routing: Middleware = {
  onRequest({ request }) {
    const url = new URL(request.url);
    const target = apiUrl(url.pathname + url.search);
    const absolute = /^https?:\/\//.test(target) ? target : new URL(target, globalThis.location?.origin ?? PLACEHOLDER).href;
    const headers = new Headers(request.headers);
    const token = tokenStore.get();
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return new Request(absolute, { method: request.method, headers, body: request.body, signal: request.signal,
      // @ts-expect-error -- `duplex` is required by fetch for a streamed body, missing from older DOM typings
      duplex: request.body ? 'half' : undefined });
  },
};

// fetch is looked up per call, so a test (MSW, a stub) that replaces it later is used.
export const client = createClient<paths>({ baseUrl: PLACEHOLDER, fetch: (request) => globalThis.fetch(request) });
client.use(routing);

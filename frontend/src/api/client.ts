// A typed client of the whole API, generated from openapi.json: openapi-fetch over the `paths`
// type that openapi-typescript writes into generated.ts. Paths, bodies, query parameters and
// answers are checked by TypeScript against the backend's declared routes, e.g.
//   const task = await unwrap(client.GET('/api/ai/tasks/{task_id}', { params: { path: { task_id } } }));
// The session token is sent as a Bearer token, and each path goes to the function that serves it
// (routes.json; absolute per-function URLs on *.run.app, relative elsewhere).
import createClient, { type Middleware } from 'openapi-fetch';
import { apiUrl, endRejectedSession, initApi, networkError, toApiError, tokenStore } from './apiService';
import type { paths } from './generated';

// openapi-fetch needs an absolute base to build a Request; the middleware below replaces it.
const PLACEHOLDER = 'http://sora.local';

export const routing: Middleware = {
  async onRequest({ request }) {
    await initApi(); // on *.run.app, /config.json names each function's origin
    const url = new URL(request.url);
    const target = apiUrl(url.pathname + url.search);
    const absolute = /^https?:\/\//.test(target) ? target : new URL(target, globalThis.location?.origin ?? PLACEHOLDER).href;
    const headers = new Headers(request.headers);
    headers.set('Accept', 'application/json');
    const token = tokenStore.get();
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return new Request(absolute, { method: request.method, headers, body: request.body, signal: request.signal,
      // @ts-expect-error -- `duplex` is required by fetch for a streamed body, missing from older DOM typings
      duplex: request.body ? 'half' : undefined });
  },
  onResponse({ request, response }) {
    // A 401 on a request that carried a token ends the session; a 401 from the login form is a wrong password.
    if (response.status === 401 && request.headers.has('Authorization')) endRejectedSession();
    return undefined;
  },
};

// fetch is looked up per call, so a test (MSW, a stub) that replaces it later is used.
export const client = createClient<paths>({ baseUrl: PLACEHOLDER, fetch: (request) => globalThis.fetch(request) });
client.use(routing);

/** What every generated-client call resolves to (openapi-fetch's FetchResponse, reduced to what unwrap reads). */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The data of a generated-client call, or throws: an `ApiError` built from API.md's JSON error
 * (status, code, readable message, Retry-After) for a non-2xx answer, `networkError()` when the
 * request never got an answer; an aborted request rethrows its AbortError. A 204 resolves to undefined.
 */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw networkError();
  }
  const { data, error, response } = answer;
  if (response.ok) return (response.status === 204 ? undefined : data) as T;
  throw toApiError(response.status, error ?? null, response.headers.get('Retry-After'));
}

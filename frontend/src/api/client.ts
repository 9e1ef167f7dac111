// A typed client of the whole API, generated from openapi.json: openapi-fetch over the `paths`
// type that openapi-typescript writes into generated.ts. Paths, bodies, query parameters and
// answers are checked by TypeScript against the backend's declared routes, e.g.
//   const task = await unwrap(client.GET('/api/ai/tasks/{task_id}', { params: { path: { task_id } } }));
// The session token is sent as a Bearer token, and each path goes to the function that serves it
// (routes.json; absolute per-function URLs on *.run.app, relative elsewhere).
import createClient from 'openapi-fetch';
import { apiUrl, endRejectedSession, initApi, networkError, toApiError, tokenStore } from './apiService';
import type { paths } from './generated';

// openapi-fetch needs an absolute base to build a Request; `send` below replaces it.
const PLACEHOLDER = 'http://sora.local';

/**
 * The fetch under the generated client: sends openapi-fetch's Request to the function that serves
 * its path, with the session token. The body is read first (text or Blob): re-sending a Request's
 * body stream would make it a streaming upload, which browsers refuse over HTTP/1.1.
 */
export async function send(request: Request): Promise<Response> {
  await initApi(); // on *.run.app, /config.json names each function's origin
  const url = new URL(request.url);
  const target = apiUrl(url.pathname + url.search);
  const absolute = /^https?:\/\//.test(target) ? target : new URL(target, globalThis.location?.origin ?? PLACEHOLDER).href;
  const headers = new Headers(request.headers);
  headers.set('Accept', 'application/json');
  const token = tokenStore.get();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  // A JSON body is re-sent as text (the browser then reports it as the request's post data, which the
  // e2e tier reads back); any other body (an upload's multipart form) as a Blob.
  const json = (headers.get('Content-Type') ?? '').startsWith('application/json');
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : json ? await request.text() : await request.blob();
  // fetch is looked up per call, so a test (MSW, a stub) that replaces it later is used.
  const response = await globalThis.fetch(
    new Request(absolute, { method: request.method, headers, body: (typeof body === 'string' ? body.length : body?.size) ? body : null, signal: request.signal }),
  );
  // A 401 on a request that carried a token ends the session; a 401 from the login form is a wrong password.
  if (response.status === 401 && token) endRejectedSession();
  return response;
}

export const client = createClient<paths>({ baseUrl: PLACEHOLDER, fetch: send });

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

// Mock Service Worker for component tests (node `setupServer`): handlers answer the app's real
// fetch calls, so tests exercise apiService's URLs, headers and bodies instead of a hand-made stub.
// Started for every test file in setup.ts; a request no handler answers fails the test.
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';

export { http, HttpResponse };

/** The shared server; add handlers per test with `server.use(...)` (reset after each test). */
export const server = setupServer();

/** One request the code under test sent: method, path with query, and its body text. */
export interface SentRequest {
  method: string;
  path: string;
  body: string;
}

const log: Promise<SentRequest>[] = [];

server.events.on('request:start', ({ request }) => {
  const url = new URL(request.url);
  const copy = request.clone();
  log.push(copy.text().then((body) => ({ method: request.method, path: url.pathname + url.search, body })));
});

/** Every request sent since the last reset, in order. */
export function sentRequests(): Promise<SentRequest[]> {
  return Promise.all(log);
}

/** Forgets the request log (setup.ts calls it after each test). */
export function resetSent(): void {
  log.length = 0;
}

/**
 * A generation page's API for a form test: an empty task list, `task` for any task id, an empty
 * profile, and `POST create` answering 202 with `task`. Returns a function that lists the POSTs sent.
 */
export function serveGenerationPage(create: '/api/ai/image' | '/api/ai/video', task: object): () => Promise<SentRequest[]> {
  server.use(
    http.get('/api/ai/tasks', () => HttpResponse.json({ items: [], next_cursor: null })),
    http.get('/api/ai/tasks/:id', () => HttpResponse.json(task)),
    http.get('/api/auth/me', () => HttpResponse.json({})),
    http.post(create, () => HttpResponse.json(task, { status: 202 })),
  );
  return async () => (await sentRequests()).filter((r) => r.method === 'POST');
}

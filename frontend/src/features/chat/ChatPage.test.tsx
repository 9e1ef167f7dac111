import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenStore } from '../../api/apiService';
import type { JsonBodyType } from 'msw';
import { http, HttpResponse, sentRequests, server } from '../../test/msw';
import { renderWithProviders } from '../../test/render';
import ChatPage from './ChatPage';
import { sseResponse } from './sseResponse.testutil';

const stored = {
  id: 'c1',
  title: 'Neon cats',
  messages: [
    { id: 'm1', role: 'user', text: 'Neon cats', attachments: [], partial: false, created_at: '2026-01-01T00:00:00Z' },
    { id: 'm2', role: 'assistant', text: 'Neon cats **glow**.', attachments: [], partial: false, created_at: '2026-01-01T00:00:01Z' },
  ],
};

const listed = { items: [{ id: 'c1', title: 'Neon cats', updated_at: '2026-01-01T00:00:01Z' }], next_cursor: null };
const getStored = http.get('/api/ai/chats/c1', () => HttpResponse.json(stored));
const getList = (body: JsonBodyType) => http.get('/api/ai/chats', () => HttpResponse.json(body));
/** Anything else the page asks for gets an empty JSON object. */
const otherwise = http.all('*', () => HttpResponse.json({}));
const sent = async (method: string, path: string) =>
  (await sentRequests()).filter((r) => r.method === method && r.path === path);

const page = (
  <Routes>
    <Route path="/chat" element={<ChatPage />} />
    <Route path="/chat/:id" element={<ChatPage />} />
  </Routes>
);

describe('ChatPage', () => {
  beforeEach(() => {
    localStorage.clear();
    tokenStore.set('tok');
  });

  it('streams the reply, then shows the stored conversation', async () => {
    server.use(
      getStored,
      getList(listed),
      http.post('/api/ai/chat', () =>
        sseResponse(['event: delta\ndata: {"text":"Neon cats "}\n\n', 'event: delta\ndata: {"text":"**glow**."}\n\n',
          'event: done\ndata: {"conversation_id":"c1","message_id":"m2"}\n\n'])),
      otherwise,
    );
    renderWithProviders(page, { route: '/chat' });

    fireEvent.change(screen.getByTestId('chat-input'), { target: { value: 'Neon cats' } });
    fireEvent.click(screen.getByTestId('chat-send'));

    await waitFor(() => {
      const shown = screen.getAllByTestId('chat-message').map((m) => [m.dataset.role, m.textContent?.replace(/^(You|Assistant): /, '')]);
      expect(shown).toEqual([['user', 'Neon cats'], ['assistant', 'Neon cats glow.']]);
    });
    await waitFor(async () => expect(await sent('GET', '/api/ai/chats/c1')).not.toEqual([]));
    // The reply is Markdown: **glow** is bold, not asterisks.
    await waitFor(() => expect(screen.getAllByTestId('chat-message')[1].querySelector('strong')?.textContent).toBe('glow'));
    // The URL follows the new conversation (the title comes from the list).
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('Neon cats'));
    const [post] = await sent('POST', '/api/ai/chat');
    expect(JSON.parse(post.body)).toEqual({ message: 'Neon cats' });
  });

  it('gives the text back when the message is refused before it is stored', async () => {
    server.use(
      getList({ items: [], next_cursor: null }),
      http.all('*', () => HttpResponse.json({ error: { code: 'insufficient_credits', message: 'no', details: {} } }, { status: 402 })),
    );
    renderWithProviders(page, { route: '/chat' });

    fireEvent.change(screen.getByTestId('chat-input'), { target: { value: 'hello' } });
    fireEvent.click(screen.getByTestId('chat-send'));

    await waitFor(() => expect(screen.getByTestId('error-state')).toBeTruthy());
    await waitFor(() => expect((screen.getByTestId('chat-input') as HTMLTextAreaElement).value).toBe('hello'));
    expect(screen.queryAllByTestId('chat-message')).toHaveLength(0);
  });

  it('asks before deleting a conversation and deletes only after the undo window', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    server.use(getStored, getList(listed), http.all('*', () => new HttpResponse(null, { status: 204 })));
    renderWithProviders(page, { route: '/chat/c1' });
    fireEvent.click(await screen.findByTestId('chat-delete'));
    expect(screen.getByTestId('chat-confirm-delete')).toBeTruthy();
    expect((await sentRequests()).filter((r) => r.method === 'DELETE')).toEqual([]);
    fireEvent.click(screen.getByTestId('confirm-button'));
    await waitFor(() => expect(screen.queryByTestId('chat-list-item')).toBeNull());
    expect(screen.getByTestId('chat-deleted-toast')).toBeTruthy();
    expect((await sentRequests()).filter((r) => r.method === 'DELETE')).toEqual([]);
    await vi.advanceTimersByTimeAsync(6500);
    await waitFor(async () => expect(await sent('DELETE', '/api/ai/chats/c1')).toHaveLength(1));
    vi.useRealTimers();
  });

  it('regenerates the last reply through POST /api/ai/chat/regenerate', async () => {
    server.use(
      getStored,
      getList(listed),
      http.post('/api/ai/chat/regenerate', () =>
        sseResponse(['event: delta\ndata: {"text":"Another take."}\n\n', 'event: done\ndata: {"conversation_id":"c1","message_id":"m3"}\n\n'])),
      otherwise,
    );
    renderWithProviders(page, { route: '/chat/c1' });
    fireEvent.click(await screen.findByTestId('chat-regenerate'));
    await waitFor(async () => expect(await sent('POST', '/api/ai/chat/regenerate')).toHaveLength(1));
    const [post] = await sent('POST', '/api/ai/chat/regenerate');
    expect(JSON.parse(post.body)).toEqual({ conversation_id: 'c1' });
  });
});

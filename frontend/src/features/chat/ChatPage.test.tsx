import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenStore } from '../../api/apiService';
import { jsonResponse, renderWithProviders } from '../../test/render';
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

const page = (
  <Routes>
    <Route path="/chat" element={<ChatPage />} />
    <Route path="/chat/:id" element={<ChatPage />} />
  </Routes>
);

describe('ChatPage', () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    localStorage.clear();
    tokenStore.set('tok');
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('streams the reply, then shows the stored conversation', async () => {
    fetchMock.mockImplementation(async (input, init) => {
      const url = String(input);
      if (url.startsWith('/api/ai/chats/c1')) return jsonResponse(200, stored);
      if (url.startsWith('/api/ai/chats')) return jsonResponse(200, { items: [{ id: 'c1', title: 'Neon cats', updated_at: '2026-01-01T00:00:01Z' }], next_cursor: null });
      if (url === '/api/ai/chat' && init?.method === 'POST')
        return sseResponse(['event: delta\ndata: {"text":"Neon cats "}\n\n', 'event: delta\ndata: {"text":"**glow**."}\n\n',
          'event: done\ndata: {"conversation_id":"c1","message_id":"m2"}\n\n']);
      return jsonResponse(200, {});
    });
    renderWithProviders(page, { route: '/chat' });

    fireEvent.change(screen.getByTestId('chat-input'), { target: { value: 'Neon cats' } });
    fireEvent.click(screen.getByTestId('chat-send'));

    await waitFor(() => {
      const shown = screen.getAllByTestId('chat-message').map((m) => [m.dataset.role, m.textContent?.replace(/^(You|Assistant): /, '')]);
      expect(shown).toEqual([['user', 'Neon cats'], ['assistant', 'Neon cats glow.']]);
    });
    await waitFor(() => expect(fetchMock.mock.calls.some(([u]) => String(u) === '/api/ai/chats/c1')).toBe(true));
    // The reply is Markdown: **glow** is bold, not asterisks.
    await waitFor(() => expect(screen.getAllByTestId('chat-message')[1].querySelector('strong')?.textContent).toBe('glow'));
    // The URL follows the new conversation (the title comes from the list).
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('Neon cats'));
    const post = fetchMock.mock.calls.find(([u]) => String(u) === '/api/ai/chat');
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({ message: 'Neon cats' });
  });

  it('gives the text back when the message is refused before it is stored', async () => {
    fetchMock.mockImplementation(async (input) => {
      const url = String(input);
      if (url.startsWith('/api/ai/chats')) return jsonResponse(200, { items: [], next_cursor: null });
      return jsonResponse(402, { error: { code: 'insufficient_credits', message: 'no', details: {} } });
    });
    renderWithProviders(page, { route: '/chat' });

    fireEvent.change(screen.getByTestId('chat-input'), { target: { value: 'hello' } });
    fireEvent.click(screen.getByTestId('chat-send'));

    await waitFor(() => expect(screen.getByTestId('error-state')).toBeTruthy());
    await waitFor(() => expect((screen.getByTestId('chat-input') as HTMLTextAreaElement).value).toBe('hello'));
    expect(screen.queryAllByTestId('chat-message')).toHaveLength(0);
  });

  it('asks before deleting a conversation and deletes only after the undo window', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fetchMock.mockImplementation(async (input) => {
      const url = String(input);
      if (url.startsWith('/api/ai/chats/c1')) return jsonResponse(200, stored);
      if (url.startsWith('/api/ai/chats')) return jsonResponse(200, { items: [{ id: 'c1', title: 'Neon cats', updated_at: '2026-01-01T00:00:01Z' }], next_cursor: null });
      return jsonResponse(204, undefined);
    });
    renderWithProviders(page, { route: '/chat/c1' });
    fireEvent.click(await screen.findByTestId('chat-delete'));
    expect(screen.getByTestId('chat-confirm-delete')).toBeTruthy();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(false);
    fireEvent.click(screen.getByTestId('confirm-button'));
    await waitFor(() => expect(screen.queryByTestId('chat-list-item')).toBeNull());
    expect(screen.getByTestId('chat-deleted-toast')).toBeTruthy();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(false);
    await vi.advanceTimersByTimeAsync(6500);
    await waitFor(() => expect(fetchMock.mock.calls.some(([u, init]) => String(u) === '/api/ai/chats/c1' && init?.method === 'DELETE')).toBe(true));
    vi.useRealTimers();
  });

  it('regenerates the last reply through POST /api/ai/chat/regenerate', async () => {
    fetchMock.mockImplementation(async (input, init) => {
      const url = String(input);
      if (url.startsWith('/api/ai/chats/c1')) return jsonResponse(200, stored);
      if (url.startsWith('/api/ai/chats')) return jsonResponse(200, { items: [{ id: 'c1', title: 'Neon cats', updated_at: '2026-01-01T00:00:01Z' }], next_cursor: null });
      if (url === '/api/ai/chat/regenerate' && init?.method === 'POST')
        return sseResponse(['event: delta\ndata: {"text":"Another take."}\n\n', 'event: done\ndata: {"conversation_id":"c1","message_id":"m3"}\n\n']);
      return jsonResponse(200, {});
    });
    renderWithProviders(page, { route: '/chat/c1' });
    fireEvent.click(await screen.findByTestId('chat-regenerate'));
    await waitFor(() => expect(fetchMock.mock.calls.some(([u]) => String(u) === '/api/ai/chat/regenerate')).toBe(true));
    const post = fetchMock.mock.calls.find(([u]) => String(u) === '/api/ai/chat/regenerate');
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({ conversation_id: 'c1' });
  });
});

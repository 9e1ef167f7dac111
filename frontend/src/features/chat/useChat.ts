// The chat page's conversation state: the stored messages, the message being
// sent, the reply streaming in, and the actions on them (send, stop,
// regenerate, edit-and-resend). The page's components only render it.
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../../api/apiService';
import type { ChatMessage, ChatRequest } from '../../api/types';
import { useLatest } from '../../hooks/useLatest';
import { meKey } from '../../hooks/useSession';
import { chatKeys, fetchConversation, fetchConversations, useConversation } from './api';
import { conversationOf, streamChat } from './chatStream';

export const MAX_ATTACHMENTS = 4; // API.md: at most 4 proxy URLs per message
export const STREAMING_ID = 'local-streaming';

function localMessage(role: 'user' | 'assistant', text: string, attachments: string[] = []): ChatMessage {
  return { id: `local-${role}-${Date.now()}`, role, text, attachments, partial: false, created_at: new Date().toISOString() };
}

function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export interface ChatState {
  messages: ChatMessage[];
  loading: boolean;
  loadError: unknown;
  /** A reply is being produced (request sent, or deltas arriving). */
  busy: boolean;
  /** The reply text so far, null when nothing streams. */
  streamText: string | null;
  error: unknown;
  /** Text handed back to the composer (a refused message, or the last message to edit). */
  returned: { text: string; seq: number } | null;
  send: (text: string, attachments: string[]) => void;
  stop: () => void;
  regenerate: () => void;
  editLast: () => void;
  /** Drops any local state and silently abandons a running reply (before switching conversation). */
  reset: () => void;
}

/**
 * @param activeId the conversation in the URL (`/chat/<id>`), null for a new one
 * @param onConversation called with the id a new conversation was stored under, so the URL can follow
 */
export function useChat(activeId: string | null, onConversation: (id: string) => void): ChatState {
  const qc = useQueryClient();
  const conversation = useConversation(activeId);
  const [pending, setPending] = useState<ChatMessage[]>([]);
  const [streamText, setStreamText] = useState<string | null>(null);
  const [replacing, setReplacing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [returned, setReturned] = useState<ChatState['returned']>(null);
  const abort = useRef<AbortController | null>(null);
  const active = useLatest(activeId);

  useEffect(() => () => abort.current?.abort(), []);

  const clearLocal = useCallback(() => {
    setPending([]);
    setStreamText(null);
    setReplacing(false);
  }, []);

  // Load the stored conversation (the message, the reply or what was kept of it)
  // before dropping the local copies, so nothing flickers away.
  const settle = useCallback(
    async (id: string) => {
      try {
        await qc.fetchQuery({ queryKey: chatKeys.conversation(id), queryFn: () => fetchConversation(id), staleTime: 0 });
      } catch {
        /* shown by the page's own query */
      }
      if (id !== active.current) onConversation(id);
      clearLocal();
      void qc.invalidateQueries({ queryKey: chatKeys.list() });
      void qc.invalidateQueries({ queryKey: meKey });
    },
    [qc, onConversation, clearLocal, active],
  );

  const run = useCallback(
    async (body: ChatRequest | { conversation_id: string }, path: '/api/ai/chat' | '/api/ai/chat/regenerate') => {
      abort.current?.abort();
      const ctl = new AbortController();
      abort.current = ctl;
      setBusy(true);
      setError(null);
      setStreamText('');
      try {
        const done = await streamChat(body, {
          onDelta: (text) => {
            if (abort.current === ctl) setStreamText((s) => (s ?? '') + text);
          },
          signal: ctl.signal,
          path,
        });
        if (abort.current === ctl) await settle(done.conversation_id);
      } catch (e) {
        if (abort.current !== ctl) return; // abandoned: the user moved to another conversation
        if (isAbort(e)) {
          // Stopped by the user: the server keeps the message and what was generated.
          let id = body.conversation_id ?? null;
          if (!id) id = (await qc.fetchQuery({ queryKey: chatKeys.list(), queryFn: fetchConversations, staleTime: 0 }).catch(() => null))?.items[0]?.id ?? null;
          if (id) {
            await settle(id);
            // The server notices the closed connection a moment later; read the kept reply again then.
            window.setTimeout(() => void qc.invalidateQueries({ queryKey: chatKeys.conversation(id!) }), 1500);
          } else clearLocal();
          return;
        }
        setError(e);
        // The message was stored (the model failed, or the connection dropped in a known
        // conversation): show what the server kept. Otherwise it was refused before storing.
        const stored = conversationOf(e) ?? (e instanceof ApiError && e.code === 'network' ? body.conversation_id ?? null : null);
        if (stored) await settle(stored);
        else {
          clearLocal();
          if ('message' in body) setReturned({ text: body.message, seq: Date.now() });
          void qc.invalidateQueries({ queryKey: chatKeys.list() });
        }
      } finally {
        if (abort.current === ctl) {
          abort.current = null;
          setBusy(false);
        }
      }
    },
    [qc, settle, clearLocal],
  );

  const send = useCallback(
    (text: string, attachments: string[]) => {
      const message = text.trim();
      if (!message || abort.current) return;
      setPending([localMessage('user', message, attachments)]);
      void run({ message, ...(attachments.length ? { attachments } : {}), ...(active.current ? { conversation_id: active.current } : {}) }, '/api/ai/chat');
    },
    [run, active],
  );

  const stop = useCallback(() => abort.current?.abort(), []);

  const stored = useMemo(() => conversation.data?.messages ?? [], [conversation.data]);
  const last = stored[stored.length - 1];

  const regenerate = useCallback(() => {
    if (!active.current || abort.current || last?.role !== 'assistant') return;
    setReplacing(true);
    void run({ conversation_id: active.current }, '/api/ai/chat/regenerate');
  }, [run, last, active]);

  const editLast = useCallback(() => {
    const lastUser = [...stored].reverse().find((m) => m.role === 'user');
    if (lastUser) setReturned({ text: lastUser.text, seq: Date.now() });
  }, [stored]);

  const reset = useCallback(() => {
    const ctl = abort.current;
    abort.current = null;
    ctl?.abort();
    setBusy(false);
    setError(null);
    clearLocal();
  }, [clearLocal]);

  const shown = replacing && last?.role === 'assistant' ? stored.slice(0, -1) : stored;
  const messages = [
    ...shown,
    ...pending,
    ...(streamText ? [{ ...localMessage('assistant', streamText), id: STREAMING_ID }] : []),
  ];

  return {
    messages,
    loading: Boolean(activeId) && conversation.isPending,
    loadError: conversation.isError ? conversation.error : null,
    busy,
    streamText,
    error,
    returned,
    send,
    stop,
    regenerate,
    editLast,
    reset,
  };
}

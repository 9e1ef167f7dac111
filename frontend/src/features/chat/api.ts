// The chat feature's server state: query keys and the hooks that read them, in one place.
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../../api/client';
import type { ChatConversation, ChatSummary, Page } from '../../api/types';

export const chatKeys = {
  all: ['chats'] as const,
  list: () => [...chatKeys.all, 'list'] as const,
  conversation: (id: string) => [...chatKeys.all, 'conversation', id] as const,
};

/** GET /api/ai/chats: the first page of conversations, most recently active first. */
export function fetchConversations(): Promise<Page<ChatSummary>> {
  return unwrap(client.GET('/api/ai/chats'));
}

/** GET /api/ai/chats/{conversation_id}: one conversation with its messages. */
export function fetchConversation(id: string): Promise<ChatConversation> {
  return unwrap(client.GET('/api/ai/chats/{conversation_id}', { params: { path: { conversation_id: id } } }));
}

/** DELETE /api/ai/chats/{conversation_id}. */
export function deleteConversation(id: string): Promise<void> {
  return unwrap(client.DELETE('/api/ai/chats/{conversation_id}', { params: { path: { conversation_id: id } } }));
}

/** Drops a deleted conversation from the cached list at once, then refetches the chat queries. */
export function forgetConversation(qc: QueryClient, id: string): void {
  qc.setQueryData<Page<ChatSummary>>(chatKeys.list(), (d) => (d ? { ...d, items: d.items.filter((c) => c.id !== id) } : d));
  void qc.invalidateQueries({ queryKey: chatKeys.all });
}

/** The signed-in user's conversations, most recently active first (first page). */
export function useConversations() {
  return useQuery({ queryKey: chatKeys.list(), queryFn: fetchConversations });
}

/** One conversation with its messages; idle while `id` is null. */
export function useConversation(id: string | null) {
  return useQuery<ChatConversation>({
    queryKey: chatKeys.conversation(id ?? ''),
    queryFn: () => fetchConversation(id!),
    enabled: Boolean(id),
  });
}

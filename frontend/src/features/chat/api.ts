// The chat feature's server state: query keys and the hooks that read them, in one place.
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/apiService';
import type { ChatConversation } from '../../api/types';

export const chatKeys = {
  all: ['chats'] as const,
  list: () => [...chatKeys.all, 'list'] as const,
  conversation: (id: string) => [...chatKeys.all, 'conversation', id] as const,
};

/** The signed-in user's conversations, most recently active first (first page). */
export function useConversations() {
  return useQuery({ queryKey: chatKeys.list(), queryFn: () => api.listChats() });
}

/** One conversation with its messages; idle while `id` is null. */
export function useConversation(id: string | null) {
  return useQuery<ChatConversation>({
    queryKey: chatKeys.conversation(id ?? ''),
    queryFn: () => api.getChat(id!),
    enabled: Boolean(id),
  });
}

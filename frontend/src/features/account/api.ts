// The account page's routes (API.md, Auth): password change, developer API tokens, usage history;
// and sign-out, which hooks/useSession loads lazily.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../../api/client';
import type { ChangePasswordRequest } from '../../api/generated';

export const accountKeys = {
  all: ['auth'] as const,
  tokens: () => [...accountKeys.all, 'tokens'] as const,
  usage: () => [...accountKeys.all, 'usage'] as const,
};

/** POST /api/auth/logout: the server forgets this session token (the caller clears it locally). */
export function logout(): Promise<void> {
  return unwrap(client.POST('/api/auth/logout'));
}

/** Changes the password; every older session token stops working. */
export function useChangePassword() {
  return useMutation({ mutationFn: (body: ChangePasswordRequest) => unwrap(client.POST('/api/auth/password', { body })) });
}

export function useApiTokens() {
  return useQuery({ queryKey: accountKeys.tokens(), queryFn: () => unwrap(client.GET('/api/auth/tokens')) });
}

/** Creates a developer API token; the answer is the only time its value is shown. */
export function useCreateApiToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(client.POST('/api/auth/tokens', { body: { name } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: accountKeys.tokens() }),
  });
}

export function useRevokeApiToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/api/auth/tokens/{token_id}', { params: { path: { token_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: accountKeys.tokens() }),
  });
}

/** The credit ledger (charges, refunds, purchases), newest first, page by page. */
export function useUsage() {
  return useInfiniteQuery({
    queryKey: accountKeys.usage(),
    queryFn: ({ pageParam }) => unwrap(client.GET('/api/auth/usage', { params: { query: { cursor: pageParam ?? undefined } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

// GET /api/admin/users (search, cursor pages) and PATCH /api/admin/users/{user_id} (credits, role, access).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../../../api/client';
import type { AdminUserPatch } from '../../../api/generated';
import { auditKeys } from '../audit/api';
import { adminKeys } from '../keys';

export const userKeys = {
  all: [...adminKeys.all, 'users'] as const,
  page: (search: string, cursor: string | null) => [...userKeys.all, search, cursor] as const,
};

/** One page of users whose email or name contains `search` ('' = everyone). */
export function useAdminUsers(search: string, cursor: string | null) {
  return useQuery({
    queryKey: userKeys.page(search, cursor),
    queryFn: () => unwrap(client.GET('/api/admin/users', { params: { query: { q: search || undefined, cursor: cursor ?? undefined } } })),
  });
}

export interface UserPatchVars {
  id: string;
  body: Partial<AdminUserPatch>;
}

/** Changes one user; the list and the audit log are refetched. */
export function usePatchUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: UserPatchVars) =>
      unwrap(client.PATCH('/api/admin/users/{user_id}', { params: { path: { user_id: id } }, body: body as AdminUserPatch })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: userKeys.all });
      void qc.invalidateQueries({ queryKey: auditKeys.all });
    },
  });
}

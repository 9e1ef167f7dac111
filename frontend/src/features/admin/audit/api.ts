// GET /api/admin/audit: who changed what, newest first, in cursor pages.
import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../../../api/client';
import { adminKeys } from '../keys';

export const auditKeys = {
  all: [...adminKeys.all, 'audit'] as const,
  page: (cursor: string | null) => [...auditKeys.all, cursor] as const,
};

export function useAuditLog(cursor: string | null) {
  return useQuery({
    queryKey: auditKeys.page(cursor),
    queryFn: () => unwrap(client.GET('/api/admin/audit', { params: { query: { cursor: cursor ?? undefined } } })),
  });
}
